"""In Chromium: before an e-mail job, the letters page shows how many patients go by each channel and the postage
estimate; the DPO starts the e-mails, follows them to "sent" and each patient with an address receives one message
through a real SMTP server (aiosmtpd) on 127.0.0.1, the patient without one stays on paper (issue 14, part 2).
Screenshots at 1,280 and 390 px under test-output/screenshots/; axe-core finds no serious violation."""

from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, expect

from notifier.extensions import db
from tests.e2e import browser

PASSWORD = "email job passphrase 2026"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
ROWS = [
    # IPP, last name, postcode, city, e-mail
    ("300001", "Martin", "75020", "Paris", "anne.martin@example.fr"),
    ("300002", "Dubois", "69003", "Lyon 3e", "anne.dubois@example.fr"),
    ("300003", "Petit", "42000", "St-Étienne", ""),  # no address: paper
]


@pytest.fixture
def scene(live_app, tmp_path):
    """A breach with three imported patients, two with an e-mail address, and an approved variant sent by e-mail
    where an address is known, paper otherwise."""
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user
    from notifier.breaches.services import create_breach
    from notifier.letters import services as letters
    from notifier.patients import services as patients

    with live_app.app_context():
        organisation = Organisation(name="Clinique du Parc")
        establishment = Establishment(
            organisation=organisation, name="Clinique du Parc", siren="552100554", finess="690781234",
            address="12 rue des Tilleuls, 69003 Lyon", dpo_name="Claire Martin", dpo_email="dpo@parc.test",
            dpo_phone="04 72 10 20 30")
        db.session.add_all([organisation, establishment])
        db.session.commit()
        dpo = add_user("dpo@parc.test", "dpo", PASSWORD, organisation=organisation)
        legal = add_user("juriste@parc.test", "legal", PASSWORD, organisation=organisation)
        breach = create_breach(dpo, establishment)
        db.session.commit()
        path = tmp_path / "patients.csv"
        lines = ["IPP;Civilité;Prénom;Nom;Date de naissance;Adresse;Code postal;Ville;Courriel"]
        lines += [f"{ipp};Mme;Anne;{last};12/03/1960;3 rue des Lilas;{postcode};{city};{email}"
                  for ipp, last, postcode, city, email in ROWS]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        patients.import_file(breach, path, user=dpo)
        template = letters.save_template(breach, dpo, "standard", letters.TemplateDraft(
            texts=letters.default_texts(breach), channel="email_else_paper"))
        letters.approve_template(template, legal)
        db.session.commit()
        return {"breach": breach.id}


def log_in(page: Page, base: str, email: str):
    browser.log_in(page, base, email, PASSWORD)


def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_the_dpo_sees_the_channels_and_the_postage_then_sends_the_emails(
        page: Page, live_server, live_app, scene, relay, accessibility):
    base, breach = live_server, scene["breach"]
    live_app.config["LETTER_POSTAGE_PRICE"] = 1.5
    log_in(page, base, "dpo@parc.test")
    page.goto(f"{base}/breaches/{breach}/letters")
    plan = page.locator("#channel-plan")
    expect(plan.locator('[data-count="letters"]')).to_have_text("1")  # Petit, who gave no address
    expect(plan.locator('[data-count="emails"]')).to_have_text("2")
    expect(plan.locator('[data-count="email_only"]')).to_have_text("2")
    expect(plan.locator('[data-count="postage"]')).to_contain_text("1,50\u00a0€")
    expect(plan.locator('[data-count="postage"]')).to_contain_text("3,00\u00a0€")  # saved by the two e-mails
    assert accessibility(page) == []
    screenshot(page, "email-channels-1280")

    page.get_by_role("button", name="Envoyer les courriels").click()
    expect(page.locator(".flash.success")).to_be_visible()
    for _ in range(60):  # the job runs in its own process; the page reloads itself once when it ends (letters.js)
        page.wait_for_load_state()
        if page.locator('td[data-status="sent"]').inner_text() == "2":
            break
        page.wait_for_timeout(500)
        try:
            page.reload()
        except PlaywrightError:  # our reload crossed the page's own: the next turn reads the page it loaded
            continue
    for _ in range(3):  # a fresh load of the ended job's page, which no longer reloads itself under our checks
        try:
            page.goto(f"{base}/breaches/{breach}/letters")
            break
        except PlaywrightError:
            page.wait_for_timeout(500)
    expect(page.locator('td[data-status="sent"]')).to_have_text("2")
    expect(page.locator('td[data-status="refused"]')).to_have_text("0")
    assert sorted(rcpt for envelope in relay.messages for rcpt in envelope.rcpt_tos) == [
        "anne.dubois@example.fr", "anne.martin@example.fr"]
    expect(page.locator("#channel-plan [data-count=\"letters\"]")).to_have_text("1")  # Petit still owed a letter
    assert accessibility(page) == []
    screenshot(page, "email-sent-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    overflowing = page.evaluate("""() => [...document.querySelectorAll('main *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).length""")
    screenshot(page, "email-sent-390")
    assert overflowing == 0
