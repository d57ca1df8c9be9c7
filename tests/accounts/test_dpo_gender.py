"""Issue 13: the establishment's DPO has a civility, set in the admin form; it prefills the contact's title of new
breaches ("Déléguée à la protection des données") and makes the letters' DPO heading agree ("notre déléguée")."""

from notifier.accounts.organisations import dpo_title
from notifier.breaches import services as breaches
from notifier.extensions import db
from notifier.letters.services import default_sender


def save(client, establishment, **changes):
    return client.post(f"/admin/establishments/{establishment.id}", data={
        "name": establishment.name, "siren": establishment.siren, "finess": establishment.finess,
        "dpo_name": establishment.dpo_name, **changes})


def test_the_administrator_sets_the_dpo_civility(establishment, admin, login_as):
    client = login_as(admin)
    page = client.get(f"/admin/establishments/{establishment.id}").get_data(as_text=True)
    assert 'name="dpo_gender"' in page and "déléguée à la protection des données" in page
    assert save(client, establishment, dpo_gender="f").status_code == 302
    db.session.refresh(establishment)
    assert establishment.dpo_gender == "f"
    assert save(client, establishment, dpo_gender="").status_code == 302
    db.session.refresh(establishment)
    assert establishment.dpo_gender is None


def test_an_unknown_civility_is_refused(establishment, admin, login_as):
    response = save(login_as(admin), establishment, dpo_gender="x")
    assert response.status_code == 200 and 'class="field invalid"' in response.get_data(as_text=True)
    db.session.refresh(establishment)
    assert establishment.dpo_gender is None


def test_a_new_breach_is_prefilled_with_the_title_agreed_with_the_dpo(establishment, dpo):
    establishment.dpo_gender = "f"
    contacts = breaches.create_breach(dpo, establishment).sections["contacts"]
    assert (contacts["contact_name"], contacts["contact_role"]) == ("Claire Martin",
                                                                   "Déléguée à la protection des données")
    establishment.dpo_gender = "m"
    assert breaches.create_breach(dpo, establishment).sections["contacts"]["contact_role"] == \
        "Délégué à la protection des données"


def test_without_a_civility_the_title_is_the_functions_name():
    from notifier.accounts.organisations import Establishment

    assert dpo_title(Establishment(dpo_gender=None)) == "Délégué à la protection des données"


def test_the_letters_dpo_heading_follows_the_establishment_when_the_contact_is_its_dpo(breach, establishment):
    """A breach prefilled before the civility existed says "Délégué"; the establishment now says Claire Martin is
    a woman: the letter's heading is "notre déléguée"."""
    assert breach.sections["contacts"]["contact_role"] == "Délégué à la protection des données"
    assert default_sender(breach)["dpo_gender"] == "m"
    establishment.dpo_gender = "f"
    assert default_sender(breach)["dpo_gender"] == "f"


def test_another_contact_keeps_the_gender_of_their_own_title(breach, establishment):
    establishment.dpo_gender = "f"
    breach.sections = {**breach.sections, "contacts": {**breach.sections["contacts"], "contact_name": "Paul Roux",
                                                        "contact_role": "Directeur des systèmes d'information"}}
    assert default_sender(breach)["dpo_gender"] == "m"
