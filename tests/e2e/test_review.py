"""Issue 13 points 7, 8 and 9 in a real browser: the risk page leads with the decision; legal sees the templates
waiting for approval, requests changes the DPO sees, then approves with a confirmation and a comment; a generated
lot's pages each carry their letter's reference and "page n / N", with the date line's place and the DPO's title in
the right gender. Screenshots at 1280 and 390 px under test-output/screenshots/."""

import copy
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pdfplumber
import pytest
from playwright.sync_api import Page, expect

from notifier.extensions import db
from tests.e2e import browser

PASSWORD = "review passphrase 2026"
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"
LONG_MEASURES = "\n\n".join(["Nous avons changé tous les mots de passe et renforcé la surveillance de nos fichiers."]
                            * 30)


@pytest.fixture
def seeded(live_app):
    """The example breach (docs/examples/breach.json) of a Lyon clinic, its DPO Claire Martin (déléguée), a jurist,
    four patients ready for a letter and a first complete letter version written by the DPO."""
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user
    from notifier.breaches.services import import_document
    from notifier.letters import services as letters
    from tests.letters.conftest import add_patients

    with live_app.app_context():
        organisation = Organisation(name="Groupe Clinique Rhône-Saône")
        db.session.add(organisation)
        db.session.add(Establishment(
            organisation=organisation, name="Clinique des Tilleuls", siren="552100554", finess="690781234",
            address="12 rue des Tilleuls, 69003 Lyon", dpo_name="Claire Martin", dpo_email="dpo@crs.test",
            dpo_phone="04 72 00 00 00"))
        db.session.commit()
        dpo = add_user("dpo@crs.test", "dpo", PASSWORD, organisation=organisation)
        add_user("juriste@crs.test", "legal", PASSWORD, organisation=organisation)
        db.session.commit()
        doc = copy.deepcopy(json.loads((ROOT / "docs" / "examples" / "breach.json").read_text(encoding="utf-8")))
        doc["establishment"] = {key: value for key, value in doc.get("establishment", {}).items()
                                if key in ("siren", "finess", "name")}
        breach = import_document(doc, dpo, now=datetime(2026, 11, 1, 12, tzinfo=UTC))
        breach.sections = {**breach.sections, "contacts": {
            **breach.sections["contacts"], "contact_name": "Claire Martin",
            "contact_role": "Déléguée à la protection des données", "contact_email": "c.martin@crs.test",
            "contact_phone": "04 72 11 22 33"}}
        db.session.commit()
        add_patients(breach, [row for row in __import__("tests.letters.conftest", fromlist=["PEOPLE"]).PEOPLE
                              if row[7] == "ready" and row[0] != "IPP008"][:4])
        texts = letters.default_texts(breach, "fr")
        texts["measures"] = LONG_MEASURES
        letters.save_template(breach, dpo, "standard", letters.TemplateDraft(
            texts=texts, sender=letters.default_sender(breach), letter_date=date(2026, 12, 8)))
        db.session.commit()
        return {"breach_id": breach.id, "reference": breach.reference}


def log_in(page: Page, base: str, email: str):
    browser.log_in(page, base, email, PASSWORD)


def screenshots(page: Page, name: str) -> None:
    """The page at 1280 px and at 390 px wide (full page), then back to 1280."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SCREENSHOTS / f"review-{name}-{width}.png"), full_page=True)
        # Point 14: nothing scrolls sideways, at 390 px either.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
    page.set_viewport_size({"width": 1280, "height": 900})


def flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def test_risk_decision_first_four_eyes_and_numbered_letter_pages(live_server, seeded, browser, accessibility):
    base, breach_id = live_server, seeded["breach_id"]
    dpo_context, legal_context = browser.new_context(locale="fr-FR"), browser.new_context(locale="fr-FR")
    try:
        dpo, legal = dpo_context.new_page(), legal_context.new_page()
        log_in(dpo, base, "dpo@crs.test")

        # 7. The risk page opens on the decision, then the reasons, then the method (folded).
        dpo.goto(f"{base}/breaches/{breach_id}/risk")
        decision = dpo.locator("#decision-line")
        expect(decision).to_contain_text(re.compile(r"Notifier la CNIL\s?: oui"))
        expect(decision).to_contain_text(re.compile(r"Informer les patients\s?: oui"))
        text = flat(dpo.locator("main").inner_text())
        assert text.index("Notifier la CNIL") < text.index("Motifs") < text.index("Méthode")
        expect(dpo.get_by_text(re.compile(r"^SE = DPC"))).to_be_hidden()  # the method is one click away
        expect(dpo.locator(".estimate")).to_contain_text("Maximal")
        screenshots(dpo, "risk-decision")
        assert accessibility(dpo) == []

        # 8. Legal's dashboard counts the template waiting; legal requests changes.
        log_in(legal, base, "juriste@crs.test")
        expect(legal.get_by_role("heading", name="1 modèle attend votre approbation")).to_be_visible()
        screenshots(legal, "legal-dashboard")
        legal.get_by_role("link", name="standard v1").click()
        blocks = legal.locator(".letter-block").evaluate_all("nodes => nodes.map(n => n.dataset.block)")
        assert blocks == ["nature", "consequences", "measures", "advice", "dpo_contact", "complaint", "closing"]
        legal.get_by_label("Ce qu'il faut modifier").fill("Raccourcissez le paragraphe des mesures, il se répète.")
        legal.get_by_role("button", name="Demander des modifications").click()
        expect(legal.get_by_text("Modifications demandées pour la version 1")).to_be_visible()

        # The DPO sees the comment on the template and answers with a new version.
        dpo.goto(f"{base}/breaches/{breach_id}/letters/variants/standard")
        expect(dpo.locator(".changes-requested")).to_contain_text("Raccourcissez le paragraphe des mesures")
        screenshots(dpo, "dpo-changes-requested")
        assert accessibility(dpo) == []
        dpo.locator("#text_measures").fill("\n\n".join([
            "Nous avons changé tous les mots de passe et renforcé la surveillance de nos fichiers."] * 24))
        dpo.get_by_role("button", name="Enregistrer une nouvelle version").click()
        expect(dpo.get_by_text(re.compile("Version 2 enregistrée"))).to_be_visible()

        # Legal approves version 2: the confirmation box is required, the comment kept in the history.
        legal.goto(base + "/")
        expect(legal.get_by_role("heading", name="1 modèle attend votre approbation")).to_be_visible()
        legal.get_by_role("link", name="standard v2").click()
        legal.get_by_label("Commentaire d'approbation (facultatif)").fill("Conforme à l'article 34(2).")
        legal.get_by_role("button", name="Approuver cette version").click()
        expect(legal.get_by_label("J'ai relu cette version")).not_to_be_checked()  # the browser refused: required
        assert legal.url.endswith(f"/letters/templates/{legal.url.rsplit('/', 1)[-1]}")
        legal.get_by_label("J'ai relu cette version et j'approuve son envoi aux patients").check()
        legal.get_by_role("button", name="Approuver cette version").click()
        expect(legal.get_by_text(re.compile("Version 2 de la variante .{1,3}standard.{1,3} approuvée"))).to_be_visible()
        legal.get_by_role("link", name="Relire").first.click()
        history = legal.locator(".review-history li")
        expect(history).to_have_count(4)
        expect(history.nth(0)).to_contain_text("v2 · Approuvée · juriste@crs.test")
        expect(history.nth(0)).to_contain_text("Conforme à l'article 34(2).")
        expect(history.nth(2)).to_contain_text("v1 · Modifications demandées")
        screenshots(legal, "legal-review-history")
        assert accessibility(legal) == []

        # 9. The letters, generated by legal; every page of the lot carries its letter's reference and page n / N.
        legal.goto(f"{base}/breaches/{breach_id}/letters")
        legal.get_by_role("button", name="Lancer la génération").click()
        progress = legal.get_by_role("progressbar", name="Avancement de la génération")
        expect(progress).to_have_attribute("value", "4", timeout=90_000)
        with legal.expect_download() as info:
            legal.get_by_role("link", name="lot-0001.pdf").click()
        with pdfplumber.open(Path(info.value.path())) as pdf:
            pages = [flat(page.extract_text() or "") for page in pdf.pages][1:]  # the cover sheet left out
        numbered = [re.search(r"Référence (\S+) · page (\d+) / (\d+)", page) for page in pages]
        assert all(numbered), pages
        per_letter = int(numbered[0].group(3))
        assert per_letter >= 2 and len(pages) == 4 * per_letter
        for index, match in enumerate(numbered):
            assert int(match.group(2)) == index % per_letter + 1
            assert match.group(1) == numbered[index - index % per_letter].group(1)  # the same letter's reference
        first = pages[0]
        assert "Lyon, le 8 décembre 2026" in first
        assert "notre déléguée à la protection des données" in " ".join(pages[:per_letter])
        assert "04 72 11 22 33" in first and "04 72 00 00 00" not in first  # the breach's contact
        screenshots(legal, "letters-generated")
    finally:
        dpo_context.close()
        legal_context.close()
