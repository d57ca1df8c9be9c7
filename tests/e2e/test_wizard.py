"""Issue 13, the wizard in a real browser: Enter goes forward, leaving a changed step warns first, the menu shows each
step's state, dates are echoed in words, and once the CNIL notification is recorded as sent the nearest deadline
shown on every page of the breach and on the dashboard is the NIS2 early warning. Screenshots at 1,280 and 390 px
under test-output/screenshots/."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from notifier.extensions import db
from tests.e2e import browser

PASSWORD = "wizard passphrase 2026"
PARIS = ZoneInfo("Europe/Paris")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"


@pytest.fixture
def dpo_account(live_app):
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user

    with live_app.app_context():
        organisation = Organisation(name="Groupe Clinique Rhône-Saône")
        db.session.add(organisation)
        db.session.add(Establishment(
            organisation=organisation, name="Groupe Clinique Rhône-Saône", siren="552100554", finess="690781232",
            address="12 rue des Tilleuls, 69003 Lyon", dpo_name="Claire Martin", dpo_email="dpo@crs.test",
            dpo_phone="04 72 10 20 30", legal_representative="Jean-Marc Fabre",
            legal_representative_title="Directeur général", nis2_in_scope=True, dpo_gender="f"))
        db.session.commit()
        add_user("dpo@crs.test", "dpo", PASSWORD, organisation=organisation)
        db.session.commit()
    return "dpo@crs.test"


def log_in(page: Page, base: str, email: str):
    browser.log_in(page, base, email, PASSWORD)


def paris_input(instant: datetime) -> str:
    return instant.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def screenshot(page: Page, name: str) -> None:
    """The page at 1,280 px and at 390 px (a phone), full length."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"wizard-{name}-{width}.png"), full_page=True)
        # Point 14: nothing scrolls sideways, at 390 px either.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    page.set_viewport_size(size)


def menu_item(page: Page, code: str):
    return page.locator(f'nav.steps li[data-step="{code}"]')


def test_enter_goes_forward_leaving_warns_and_the_menu_shows_each_state(page: Page, live_server, dpo_account,
                                                                       accessibility):
    base = live_server
    log_in(page, base, dpo_account)
    page.get_by_role("link", name="Déclarer une violation").click()
    expect(page.get_by_role("heading", name="Type de notification", level=1)).to_be_visible()
    # Point 1: Enter in a field saves and continues, it never opens the previous step.
    page.get_by_label("Intitulé interne de la violation").fill("Rançongiciel sur le PACS")
    page.get_by_label("Intitulé interne de la violation").press("Enter")
    expect(page.get_by_role("heading", name="Contact et représentant légal", level=1)).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Violation VIO-")
    # The contact's title is agreed with the establishment's DPO civility (Claire Martin: "Déléguée").
    expect(page.get_by_label("Fonction", exact=True)).to_have_value("Déléguée à la protection des données")
    # Point 6: an e-mail field accepts only an address; the refused field is named at the top of the step.
    page.get_by_label("Courriel", exact=True).fill("claire.martin@")
    page.get_by_label("Fonction", exact=True).press("Enter")
    expect(page.locator("#contact_email-error")).to_contain_text("Adresse électronique invalide")
    expect(page.locator(".error-summary").get_by_role("link", name="Courriel", exact=True)).to_be_visible()
    expect(page.get_by_label("Courriel", exact=True)).to_have_value("claire.martin@")
    screenshot(page, "field-checks")
    assert accessibility(page) == []
    page.get_by_label("Courriel", exact=True).fill("claire.martin@crs.test")
    page.get_by_label("Fonction", exact=True).press("Enter")
    expect(page.get_by_role("heading", name="Dates et circonstances", level=1)).to_be_visible()
    screenshot(page, "enter-forward")  # Enter in the contact step saved it and opened the next one
    breach_url = re.sub(r"/steps/.*$", "", page.url)

    # Point 4: a date typed is echoed in words under its field, in the page's language.
    page.get_by_label("Prise de connaissance (point de départ des 72 h)").fill("2026-03-12T14:20")
    expect(page.locator("#aware_at-words")).to_have_text("jeudi 12 mars 2026 à 14\u00a0h\u00a020")

    # Point 2: leaving a changed form asks first; declining keeps what was typed.
    page.get_by_label("Circonstances de la découverte").fill("Alerte de l'hébergeur à 6 h")
    messages = []

    def dismiss(dialog):
        messages.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    menu_item(page, "nature").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Dates et circonstances", level=1)).to_be_visible()
    assert messages and "ne sont pas enregistrées" in messages[0]
    expect(page.get_by_label("Circonstances de la découverte")).to_have_value("Alerte de l'hébergeur à 6 h")
    screenshot(page, "dates-typed")
    assert accessibility(page) == []

    # A refused save (a date in the future) shows the step in error in the menu; a step with a missing answer is
    # incomplete and says what is missing; a saved one is complete.
    page.get_by_label("Prise de connaissance (point de départ des 72 h)").fill(
        paris_input(datetime.now(UTC) + timedelta(days=2)))
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#aware_at-error")).to_contain_text("futur")
    # The refused field is named, with the reason, at the top of the step; what was typed is still there.
    summary = page.locator(".error-summary")
    expect(summary.get_by_role("heading")).to_contain_text("Enregistrement refusé")
    expect(summary.get_by_role("link", name="Prise de connaissance (point de départ des 72 h)")).to_be_visible()
    expect(summary).to_contain_text("Cette date est dans le futur")
    expect(page.get_by_label("Circonstances de la découverte")).to_have_value("Alerte de l'hébergeur à 6 h")
    expect(menu_item(page, "dates")).to_contain_text("Prise de connaissance")
    screenshot(page, "step-refused")
    expect(menu_item(page, "dates")).to_have_attribute("data-state", "error")
    expect(menu_item(page, "contacts")).to_have_attribute("data-state", "complete")
    expect(menu_item(page, "people")).to_have_attribute("data-state", "incomplete")
    expect(menu_item(page, "people")).to_contain_text("Catégories de personnes")
    screenshot(page, "step-states")

    aware = datetime.now(UTC) - timedelta(hours=6)
    page.get_by_label("Prise de connaissance (point de départ des 72 h)").fill(paris_input(aware))
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", name="Nature de la violation", level=1)).to_be_visible()
    expect(menu_item(page, "dates")).not_to_have_attribute("data-state", "error")

    # Point 3: once the CNIL notification is recorded as sent (the ARS report too), the nearest open deadline on
    # every page of the breach is the NIS2 early warning, due 24 h after awareness; the others one click away.
    page.goto(f"{breach_url}/steps/other_bodies")
    page.get_by_label("Incident signalé à l'ARS / CERT Santé").check()
    page.get_by_label("Date du signalement ARS").fill(paris_input(aware + timedelta(hours=1)))
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.get_by_role("heading", name="Envoi à la CNIL", level=1)).to_be_visible()
    page.get_by_label("Notification envoyée à la CNIL le").fill(paris_input(aware + timedelta(hours=5)))
    page.get_by_label("Numéro d'accusé de réception de la CNIL").fill("NOT-2026-0154321")
    # The initial notification promised a complement (art. 33(4)) in two days: a clock too, after the NIS2 one.
    page.get_by_label("Notification complémentaire promise à la CNIL pour le").fill(
        paris_input(aware + timedelta(days=2)))
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    bar = page.locator(".deadline-bar")
    expect(bar.locator(".deadline-nearest")).to_contain_text("NIS2\u00a0: alerte précoce")
    expect(bar.locator(".deadline-nearest")).to_have_attribute("data-clock", "nis2_early_warning")
    bar.locator("summary").click()
    expect(bar.locator(".deadline-list li")).to_have_count(6)
    expect(bar.locator('.deadline-list li[data-clock="cnil_complement"]')).to_contain_text(
        "CNIL\u00a0: notification complémentaire promise")
    screenshot(page, "nearest-deadline-step")
    assert accessibility(page) == []
    for path in ("", "/risk", "/history", "/steps/people"):
        page.goto(f"{breach_url}{path}")
        expect(page.locator(".deadline-bar .deadline-nearest")).to_have_attribute("data-clock", "nis2_early_warning")
    page.goto(breach_url)
    screenshot(page, "breach-overview")
    assert accessibility(page) == []
    page.get_by_role("link", name="Tableau de bord").click()
    card = page.locator(".breach-card").first
    expect(card.locator(".clock").first).to_contain_text("NIS2\u00a0: alerte précoce")
    screenshot(page, "dashboard-nearest")
    assert accessibility(page) == []


def test_a_draft_saved_by_mistake_is_deleted_with_a_reason(page: Page, live_server, dpo_account, accessibility):
    """Point 5: the record is created when the first step is saved; a draft never notified, without patients nor
    documents, can be deleted by the DPO with a reason."""
    base = live_server
    log_in(page, base, dpo_account)
    page.get_by_role("link", name="Déclarer une violation").click()
    page.get_by_label("Intitulé interne de la violation").fill("Essai saisi par erreur")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    reference = re.search(r"VIO-[\w-]+", page.get_by_role("status").inner_text()).group(0)
    page.goto(re.sub(r"/steps/.*$", "", page.url))
    page.get_by_text("Supprimer ce brouillon").click()
    page.get_by_label("Motif de la suppression").fill("Doublon de la fiche ouverte ce matin")
    screenshot(page, "draft-delete")
    assert accessibility(page) == []
    page.get_by_role("button", name="Supprimer définitivement ce brouillon").click()
    expect(page.get_by_role("heading", name="Violations en cours")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"Brouillon {reference} supprimé")
    expect(page.locator(f'[data-breach="{reference}"]')).to_have_count(0)
    screenshot(page, "draft-deleted")
