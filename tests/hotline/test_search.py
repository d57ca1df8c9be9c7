"""The hotline finds one patient or none, never more: by the letter's reference (check character verified), or by
last name plus birth date, exact (case, accents and spaces ignored; a prefix never matches); two people with the
same last name and birth date give none, and the desk asks for the reference."""

import re
from datetime import date

from sqlalchemy import select

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


def test_the_desk_shows_the_patients_email_state_and_the_new_letter_after_a_resend(
        breach, mailed, approved_script, hotline_client):
    """Issue 17: the hotline sees the letter's and the e-mail's state and dates; after a re-send, the new letter,
    whichever of the two references the caller reads out."""
    from datetime import UTC, date, datetime

    from notifier.letters.models import Letter, LetterEmail, LetterJob, LetterTemplate
    from notifier.letters.services import letter_number, letter_reference

    person = mailed["IPP-GENUINE-1"]
    search = {"breach_id": breach.id, "last_name": "veritable", "birth_date": "02/04/1961"}
    assert "Aucun courriel n'a été envoyé à cette personne." in hotline_client.post(
        "/hotline/search", data=search).get_data(as_text=True)

    template = LetterTemplate(organisation_id=breach.organisation_id, breach_id=breach.id, variant="standard",
                              version=1, texts={}, sender={}, letter_date=date(2026, 3, 16))
    job = LetterJob(organisation_id=breach.organisation_id, breach_id=breach.id, token="e" * 32, out_dir="/nowhere",
                    kind="email", status="done", lot_size=1000, variants=[])
    db.session.add_all([template, job])
    db.session.flush()
    db.session.add(LetterEmail(breach_id=breach.id, patient_pk=person.patient.id, letter_id=person.letter.id,
                               template_id=template.id, job_id=job.id, chunk_no=1, status="bounced",
                               message_id="<one@lilas.test>", sent_at=datetime(2026, 3, 18, 9, 30, tzinfo=UTC),
                               failed_at=datetime(2026, 3, 19, 10, 0, tzinfo=UTC)))
    person.letter.patient_pk = None  # as letters/returns.py re-sends: the patient's link moves to the new letter
    db.session.flush()
    resent = Letter(breach_id=breach.id, patient_pk=person.patient.id, serial=99, number=letter_number(99),
                    status="generated", generated_at=datetime(2026, 3, 20, 9, 0, tzinfo=UTC),
                    resent_from_id=person.letter.id)
    db.session.add(resent)
    db.session.commit()

    page = hotline_client.post("/hotline/search", data=search).get_data(as_text=True)
    assert 'data-email-status="bounced"' in page and "Revenu (non distribué)" in page
    flat = page.replace("\u00a0", " ")
    assert "envoyé le 18 mars 2026 à 10 h 30" in flat and "échec le 19 mars 2026 à 11 h 00" in flat
    assert letter_reference(breach.reference, resent.number) in page
    # A caller holding the first letter (it reached them before they moved) is found, and sees the new one.
    by_first = hotline_client.post("/hotline/search", data={"reference": person.reference}).get_data(as_text=True)
    assert "VERITABLE" in by_first and letter_reference(breach.reference, resent.number) in by_first


def test_every_search_on_the_desk_is_in_the_audit_trail_without_what_was_typed(
        breach, mailed, approved_script, hotline_client, hotline_user):
    """Access to a health record is traced: who looked, how, whom they found; a search that found nobody too."""
    from notifier.audit.models import AuditEntry

    hotline_client.post("/hotline/search", data={"breach_id": breach.id, "last_name": "veritable",
                                                 "birth_date": "02/04/1961"})
    hotline_client.post("/hotline/search", data={"breach_id": breach.id, "last_name": "personne",
                                                 "birth_date": "01/01/1950"})
    hotline_client.post("/hotline/search", data={"reference": mailed["IPP-GENUINE-2"].reference})
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "hotline.lookup")
                                 .order_by(AuditEntry.id)).all()
    assert [(entry.details["how"], entry.details["found"]) for entry in entries] == [
        ("name", "one"), ("name", "none"), ("reference", "one")]
    assert {entry.user_id for entry in entries} == {hotline_user.id}
    assert entries[0].object_id == str(mailed["IPP-GENUINE-1"].patient.id) and entries[1].object_id == ""
    trail = " ".join(str(entry.details) for entry in entries).upper()
    assert "VERITABLE" not in trail and "PERSONNE" not in trail and "1961" not in trail
