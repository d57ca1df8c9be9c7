"""The hotline finds one patient or none, never more: by the letter's reference (check character verified), or by
last name plus birth date, exact (case, accents and spaces ignored; a prefix never matches); two people with the
same last name and birth date give none, and the desk asks for the reference."""

import re
from datetime import date

from notifier.extensions import db
from notifier.hotline import services as hotline
from notifier.letters import services as letters
from notifier.patients.models import Patient


def test_a_reference_finds_its_patient_and_a_wrong_check_character_finds_nobody(breach, mailed):
    person = mailed["IPP-GENUINE-1"]
    found = hotline.find_by_reference(breach.organisation_id, person.reference.lower())
    assert found.patient.id == person.patient.id and found.breach.id == breach.id
    wrong = person.reference[:-1] + ("A" if person.reference[-1] != "A" else "B")
    assert hotline.find_by_reference(breach.organisation_id, wrong).patient is None
    assert hotline.find_by_reference(breach.organisation_id, "n'importe quoi").patient is None
    unknown = letters.letter_reference(breach.reference, letters.letter_number(500))
    assert hotline.find_by_reference(breach.organisation_id, unknown).patient is None


def test_a_reference_of_another_organisation_finds_nobody(breach, mailed):
    from notifier.accounts.organisations import Organisation

    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    assert hotline.find_by_reference(other.id, mailed["IPP-GENUINE-1"].reference).patient is None


def test_last_name_and_birth_date_find_exactly_one_patient(breach, mailed):
    person = mailed["IPP-GENUINE-1"].patient
    for typed in ("VERITABLE", "veritable", " Véritable ", "VÉRI-TABLE"):
        found = hotline.find_by_name(breach, typed, date(1961, 4, 2))
        assert found.patient is not None and found.patient.id == person.id, typed
    assert hotline.find_by_name(breach, "VERITABLE", date(1961, 4, 3)).patient is None  # another birth date
    assert hotline.find_by_name(breach, "VERI", date(1961, 4, 2)).patient is None  # a prefix is not a name
    assert hotline.find_by_name(breach, "", date(1961, 4, 2)).patient is None
    assert hotline.find_by_name(breach, "VERITABLE", None).patient is None
    assert hotline.find_by_name(breach, "%", date(1961, 4, 2)).patient is None


def test_two_people_with_the_same_name_and_birth_date_give_none(breach, mailed):
    first = mailed["IPP-GENUINE-1"].patient
    twin = Patient(breach_id=breach.id, import_id=first.import_id, row_number=99, patient_id="IPP-TWIN",
                   civility="mme", first_name="Gisèle", last_name="VERITABLE", birth_date=first.birth_date,
                   address_lines=["Madame Gisèle VERITABLE", "1 RUE", "35000 RENNES"], postcode="35000",
                   city="RENNES", status="ready", name_key="VERITABLEGISELE")
    db.session.add(twin)
    db.session.commit()
    found = hotline.find_by_name(breach, "Veritable", first.birth_date)
    assert found.patient is None and found.ambiguous
    # The reference still tells them apart.
    assert hotline.find_by_reference(breach.organisation_id, mailed["IPP-GENUINE-1"].reference).patient.id == first.id


def test_twins_on_the_desk_show_neither_and_tell_the_agent_to_ask_the_reference_or_the_first_name(
        breach, mailed, hotline_client):
    first = mailed["IPP-GENUINE-1"].patient
    db.session.add(Patient(breach_id=breach.id, import_id=first.import_id, row_number=99, patient_id="IPP-TWIN",
                           civility="mme", first_name="Gisèle", last_name="VERITABLE", birth_date=first.birth_date,
                           address_lines=["Madame Gisèle VERITABLE", "1 RUE DU JUMEAU", "35000 RENNES"],
                           postcode="35000", city="RENNES", status="ready", name_key="VERITABLEGISELE"))
    db.session.commit()
    search = {"breach_id": breach.id, "last_name": "veritable", "birth_date": "02/04/1961"}
    response = hotline_client.post("/hotline/search", data=search)
    assert response.status_code == 302
    page = hotline_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Plusieurs personnes correspondent" in page and "le prénom" in page
    for shown in ("Ghislaine", "Gisèle", "JUMEAU", "ORMEAUX", 'name="token"'):
        assert shown not in page, shown
    page = hotline_client.post("/hotline/search", data={**search, "first_name": "gisele"}).get_data(as_text=True)
    assert "Gisèle" in page and "Ghislaine" not in page and 'name="token"' in page
    response = hotline_client.post("/hotline/search", data={**search, "first_name": "Gis"})  # exact, no prefix
    assert response.status_code == 302


def test_the_desk_shows_the_one_patient_found_with_the_letters_state_dates_and_the_script(
        breach, mailed, approved_script, hotline_client):
    response = hotline_client.post("/hotline/search", data={
        "breach_id": breach.id, "last_name": "veritable", "birth_date": "02/04/1961"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "VERITABLE" in page and mailed["IPP-GENUINE-1"].reference in page
    assert "Posté" in page and "17/03/2026" in page and "16/03/2026" in page
    assert "Texte de la section what_happened." in page and "0 800 00 12 34" in page
    # Nobody else of the file is on the page.
    assert "PREPARE" not in page and "BROUILLON" not in page
    assert 'name="token"' in page


def test_the_desk_has_no_list_of_patients_and_no_url_per_patient(breach, mailed, hotline_client):
    page = hotline_client.get(f"/hotline/breaches/{breach.id}").get_data(as_text=True)
    for person in mailed.values():
        assert person.patient.last_name not in page
    assert not re.search(r"/hotline/[^\"']*patients", page)
    response = hotline_client.post("/hotline/search", data={"breach_id": breach.id, "last_name": "VERI",
                                                            "birth_date": "02/04/1961"})
    assert response.status_code == 302  # none found: back to the desk with a message, no list
    page = hotline_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Aucun patient ne correspond." in page and "VERITABLE" not in page


def test_a_search_by_reference_works_from_the_desk_home(breach, mailed, hotline_client):
    page = hotline_client.post("/hotline/search", data={"reference": mailed["IPP-GENUINE-2"].reference}) \
        .get_data(as_text=True)
    assert "PREPARE" in page and "Généré" in page


def test_another_organisations_breach_is_not_found_by_the_desk(breach, mailed, password, login_as):
    from notifier.accounts.organisations import Organisation
    from notifier.accounts.services import add_user

    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    outsider = add_user("hotline@autre.test", "hotline", password, organisation=other)
    client = login_as(outsider)
    assert client.get(f"/hotline/breaches/{breach.id}").status_code == 404
    response = client.post("/hotline/search", data={"breach_id": breach.id, "last_name": "VERITABLE",
                                                    "birth_date": "02/04/1961"})
    assert response.status_code == 404
    response = client.post("/hotline/search", data={"reference": mailed["IPP-GENUINE-1"].reference})
    assert response.status_code == 302 and "VERITABLE" not in client.get("/hotline/").get_data(as_text=True)
