"""Hour 70: the DPO types the circumstances for longer than the 30-minute idle limit, or the 12-hour session ends,
then clicks "Enregistrer". In Chromium: the login page says what happened, the login leads back to the step, the
typed text is in the form again (kept by this tab's browser), and saving it stores it."""

import re

import pytest
from playwright.sync_api import Page, expect

from notifier.extensions import db

PASSWORD = "session passphrase 2026"

CIRCUMSTANCES = ("Alerte de l'hébergeur à 6 h 10 ; rançongiciel sur le PACS, note de rançon sur 14 postes, "
                 "exfiltration annoncée sur un forum.")


@pytest.fixture
def dpo_account(live_app):
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user

    with live_app.app_context():
        organisation = Organisation(name="Clinique du Parc")
        db.session.add(organisation)
        db.session.add(Establishment(
            organisation=organisation, name="Clinique du Parc", siren="552100554", finess="690781232",
            address="12 rue des Tilleuls, 69003 Lyon", dpo_name="Claire Martin", dpo_email="dpo@parc.test",
            dpo_phone="04 72 10 20 30", legal_representative="Jean-Marc Fabre",
            legal_representative_title="Directeur général"))
        db.session.commit()
        add_user("dpo@parc.test", "dpo", PASSWORD, organisation=organisation)
        db.session.commit()
    return "dpo@parc.test"


def sign_in(page: Page, email: str) -> None:
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()


def test_what_was_typed_when_the_session_ended_comes_back_after_the_login(page: Page, live_server, dpo_account,
                                                                          assert_accessible, shots):
    page.goto(f"{live_server}/login")
    sign_in(page, dpo_account)
    page.get_by_role("link", name="Déclarer une violation").click()
    page.get_by_label("Intitulé interne de la violation").fill("Rançongiciel sur le PACS")
    page.get_by_label("Intitulé interne de la violation").press("Enter")
    expect(page.get_by_role("heading", name="Contact et représentant légal", level=1)).to_be_visible()
    step_url = re.sub(r"/steps/.*$", "/steps/dates", page.url)
    page.goto(step_url)
    page.get_by_label("Circonstances de la découverte").fill(CIRCUMSTANCES)

    page.context.clear_cookies()  # the session ends while the DPO types
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    expect(page.locator(".flash.error")).to_contain_text("Votre session a expiré")
    shots(page, "session-ended")
    assert_accessible(page, "login after the session ended")

    sign_in(page, dpo_account)
    expect(page.get_by_role("heading", name="Dates et circonstances", level=1)).to_be_visible()
    expect(page.get_by_label("Circonstances de la découverte")).to_have_value(CIRCUMSTANCES)
    expect(page.locator(".draft-restored")).to_contain_text("remis dans le formulaire")
    shots(page, "typing-restored")
    assert_accessible(page, "step with the restored typing")

    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.goto(step_url)
    expect(page.get_by_label("Circonstances de la découverte")).to_have_value(CIRCUMSTANCES)
    expect(page.locator(".draft-restored")).to_have_count(0)  # saved: the browser's copy is dropped
