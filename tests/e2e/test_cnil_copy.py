"""The DPO fills the CNIL téléservice from the page "Saisie sur notifications.cnil.fr", in a real browser: the fields
in the order of the online form, a copy button that really fills the clipboard, the boxes to tick, what is missing,
the one-page PDF, then the CNIL's acknowledgement number recorded. Screenshots under test-output/screenshots/."""

import copy
import io
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pdfplumber
import pytest
from playwright.sync_api import Page, expect

from notifier.extensions import db

PASSWORD = "cnil copy passphrase 2026"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"


@pytest.fixture
def example_breach_id(live_app):
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user
    from notifier.breaches.services import import_document
    from notifier.letters.models import Letter

    with live_app.app_context():
        organisation = Organisation(name="Groupe Clinique Rhône-Saône")
        db.session.add(organisation)
        db.session.add(Establishment(organisation=organisation, name="Groupe Clinique Rhône-Saône", siren="552100554",
                                     finess="690781234", nis2_in_scope=True))
        db.session.commit()
        dpo = add_user("dpo@crs.test", "dpo", PASSWORD, organisation=organisation)
        db.session.commit()
        doc = copy.deepcopy(json.loads((ROOT / "docs/examples/breach.json").read_text(encoding="utf-8")))
        doc["sections"]["contacts"]["contact_email"] = None  # something still missing
        doc["establishment"] = {"name": "Groupe Clinique Rhône-Saône", "siren": "552100554", "finess": "690781234"}
        breach = import_document(doc, dpo, now=datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
        db.session.flush()
        # Two letters posted (GDPR art. 34): the people informed so far, as the complementary notification reports.
        for number, day in enumerate((date(2026, 10, 28), date(2026, 10, 30)), 1):
            db.session.add(Letter(breach_id=breach.id, serial=number, number=number, status="posted",
                                  status_date=day))
        db.session.commit()
        return breach.id


def test_the_dpo_copies_the_cnil_form_field_by_field_and_records_the_acknowledgement(
        page: Page, live_server, example_breach_id, accessibility):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/login")
    page.get_by_label("Courriel").fill("dpo@crs.test")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server}/breaches/{example_breach_id}")
    page.get_by_role("link", name="Saisie sur notifications.cnil.fr").click()

    expect(page.get_by_role("heading", level=1, name="Saisie sur notifications.cnil.fr")).to_be_visible()
    expect(page.get_by_role("heading", name="1. Type de notification")).to_be_visible()
    missing = page.locator("ul.missing")
    expect(missing).to_contain_text("Courriel")
    expect(page.locator("#entry-natures li.ticked")).to_contain_text(["Perte de confidentialité"])
    # The people informed, after the channels: the number to type, the first and last day beside it.
    informed = page.locator("#entry-people_informed_letter")
    expect(informed).to_contain_text("Personnes effectivement informées (courrier postal)")
    expect(informed.locator("pre.copy-value")).to_have_text("2")
    expect(informed).to_contain_text("du 28/10/2026 au 30/10/2026")
    page.screenshot(path=str(SCREENSHOTS / "cnil-copy-page.png"), full_page=True)
    assert accessibility(page) == []

    # The copy button puts the value, as the online form takes it, in the clipboard.
    button = page.locator("#entry-aware_at button.copy")
    button.click()
    expect(button).to_contain_text("Copié")
    assert page.evaluate("navigator.clipboard.readText()") == "23/10/2026 14:20"

    with page.expect_download() as info:
        page.get_by_role("link", name="Télécharger la fiche d'une page (PDF)").click()
    with pdfplumber.open(io.BytesIO(Path(info.value.path()).read_bytes())) as sheet:
        assert len(sheet.pages) == 1
        assert "23/10/2026 14:20" in sheet.pages[0].extract_text()
        assert sheet.pages[0].search("effectivement informées")  # the people informed are on the sheet too

    page.get_by_label("Notification envoyée à la CNIL le").fill("2026-10-25T11:02")
    page.get_by_label("Numéro d'accusé de réception de la CNIL").fill("NOT-2026-000123")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("Envoi à la CNIL et accusé de réception enregistrés.")).to_be_visible()
    expect(page.get_by_label("Numéro d'accusé de réception de la CNIL")).to_have_value("NOT-2026-000123")
    page.screenshot(path=str(SCREENSHOTS / "cnil-copy-acknowledged.png"), full_page=True)
    page.goto(f"{live_server}/breaches/{example_breach_id}")
    expect(page.locator("#reports-title + .card strong")).to_have_text("NOT-2026-000123")
