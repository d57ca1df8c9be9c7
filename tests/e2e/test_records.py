"""Issue 13, points 10, 12, 13 and 14 in a real browser: the rejected patient rows shown and corrected on the import
page, the register and audit exports read back under their headings, the history and audit pages in words, and the
phone layout (390 px: no sideways scroll, step menu folded). Screenshots at 1,280 and 390 px under
test-output/screenshots/ (records-*.png); axe-core on every page shown."""

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pdfplumber
import pytest
from playwright.sync_api import Page, expect

from notifier.extensions import db
from tests.e2e import browser

PASSWORD = "records passphrase 2026"
EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "breach.json"
PATIENTS = [
    ["IPP", "Civilité", "Prénom", "Nom", "Date de naissance", "Adresse", "Code postal", "Ville"],
    ["100001", "Mme", "Léa", "Petit", "01/02/1970", "3 avenue Foch", "69003", "Lyon"],
    ["100002", "M.", "Paul", "Durand", "05/06/1950", "1 place Bellecour", "69002", "Lyon"],
    ["100005", "M.", "Jean", "Martin", "12/03/1960", "12 rue des Lilas", "750", "Paris"],  # line 4: postcode cut
    ["100006", "Mme", "Anne", "Roux", "31/02/1980", "4 quai Saint-Vincent", "69001", "Lyon"],  # line 5: 31 Feb
]


@pytest.fixture
def records(live_app):
    """An organisation with a DPO and a jurist, and the documented example breach (notified to the CNIL)."""
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user
    from notifier.breaches.services import import_document

    with live_app.app_context():
        organisation = Organisation(name="Groupe Clinique Rhône-Saône")
        db.session.add(organisation)
        db.session.add(Establishment(organisation=organisation, name="Groupe Clinique Rhône-Saône", siren="552100554",
                                     finess="690781234"))
        db.session.commit()
        dpo = add_user("dpo@crs.test", "dpo", PASSWORD, organisation=organisation)
        add_user("juriste@crs.test", "legal", PASSWORD, organisation=organisation)
        db.session.commit()
        breach = import_document(json.loads(EXAMPLE.read_text(encoding="utf-8")), dpo,
                                 now=datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
        db.session.commit()
        return {"breach": breach.id, "reference": breach.reference}


def log_in(page: Page, base: str, email: str):
    browser.log_in(page, base, email, PASSWORD)


def download(page: Page, control) -> Path:
    with page.expect_download() as info:
        control.click()
    return Path(info.value.path())


def flat(text) -> str:
    return " ".join(str(text or "").replace("\u00a0", " ").replace("\u202f", " ").split())


def no_sideways_scroll(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_rejected_rows_are_shown_by_reason_and_corrected_in_the_browser(
        page: Page, live_server, records, tmp_path, screenshot, assert_accessible):
    upload = tmp_path / "export-dpi.csv"
    with open(upload, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(PATIENTS)
    log_in(page, live_server, "dpo@crs.test")
    page.goto(f"{live_server}/breaches/{records['breach']}/patients")
    page.get_by_label("Fichier CSV ou XLSX").set_input_files(upload)
    page.get_by_role("button", name="Importer").click()

    # Every header was recognised: the DPO still sees column -> field with the first values, and confirms.
    expect(page.locator("#all-recognised")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Code postal"))).to_contain_text("69003 · 69002 · 750")
    expect(page.get_by_label("Code postal", exact=True)).to_have_value("postcode")
    screenshot(page, "records-10-mapping")
    assert_accessible(page, "mapping")
    page.get_by_role("button", name="Lancer l'import").click()

    status = page.get_by_role("paragraph").filter(has_text=re.compile("^Statut"))
    expect(status).to_contain_text("terminé", timeout=20_000)
    reasons = page.get_by_role("table", name="Lignes rejetées par motif")
    expect(reasons.get_by_role("row", name=re.compile("Code postal français invalide"))).to_contain_text("1")
    expect(reasons.get_by_role("row", name=re.compile("Date impossible"))).to_contain_text("1")
    lines = page.get_by_role("table", name="Les lignes rejetées")
    expect(lines.get_by_role("row")).to_have_count(3)  # the heading row and lines 4 and 5
    expect(lines.get_by_role("row", name=re.compile("^4 "))).to_contain_text("«\u00a0750\u00a0»")
    screenshot(page, "records-10-rejected-rows")
    assert_accessible(page, "import page with rejected rows")

    page.get_by_role("link", name="Corriger la ligne 4").click()
    expect(page.get_by_role("heading", name="Corriger la ligne 4 du fichier")).to_be_visible()
    postcode = page.get_by_label(re.compile("^Code postal"))
    expect(postcode).to_have_value("750")
    expect(postcode).to_have_attribute("aria-invalid", "true")
    assert_accessible(page, "correction form")
    postcode.fill("75")  # still wrong: refused, nothing saved
    page.get_by_role("button", name="Vérifier et ajouter aux patients").click()
    expect(page.get_by_role("alert")).to_contain_text("toujours refusée")
    screenshot(page, "records-10-correction-refused")
    page.get_by_label(re.compile("^Code postal")).fill("75020")
    page.get_by_role("button", name="Vérifier et ajouter aux patients").click()
    expect(page.get_by_role("status").first).to_contain_text("Ligne 4 corrigée")
    counts = page.locator("dl.counts")
    expect(counts.locator('[data-count="accepted"]')).to_have_text("3")
    expect(counts.locator('[data-count="rejected"]')).to_have_text("1")
    expect(page.get_by_role("table", name="Les lignes rejetées").get_by_role("row")).to_have_count(2)
    screenshot(page, "records-10-corrected")

    page.goto(f"{live_server}/breaches/{records['breach']}/patients?q=Martin")
    expect(page.get_by_role("main")).to_contain_text("75020 PARIS")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/breaches/{records['breach']}/patients")
    page.get_by_role("link", name=re.compile("export-dpi.csv")).first.click()
    expect(page.get_by_role("heading", name=re.compile("Import du fichier"))).to_be_visible()
    assert no_sideways_scroll(page)
    screenshot(page, "records-10-rejected-rows")


def test_every_export_reads_back_under_its_headings(page: Page, live_server, records, screenshot,
                                                    assert_accessible):
    log_in(page, live_server, "juriste@crs.test")
    page.get_by_role("link", name="Registre", exact=True).click()
    assert_accessible(page, "register")
    screenshot(page, "records-12-register")
    page.set_viewport_size({"width": 390, "height": 844})
    assert no_sideways_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "records-12-register")
    page.set_viewport_size({"width": 1280, "height": 900})

    pdf = download(page, page.get_by_role("link", name="PDF/A"))
    with pdfplumber.open(pdf) as document:
        table = document.pages[0].extract_tables()[0]
    headings, first = [flat(cell) for cell in table[0]], [flat(cell) for cell in table[1]]
    line = dict(zip(headings, first, strict=True))
    assert headings[:4] == ["Référence", "Établissement", "Statut", "Prise de connaissance"]
    assert line["Statut"] == "En cours" and line["Référence"] == records["reference"]
    assert line["Prise de connaissance"].startswith("23 octobre 2026")
    assert line["Nombre de personnes"] == "758 912"

    xlsx = download(page, page.get_by_role("link", name="XLSX"))
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    cell = dict(zip(rows[0], rows[1], strict=True))
    assert cell["Statut"] == "En cours" and str(cell["Prise de connaissance"]).startswith("23 octobre 2026")
    assert cell["Nombre de personnes"] == 758912

    text = download(page, page.get_by_role("link", name="CSV", exact=True)).read_text(encoding="utf-8-sig")
    entry = next(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert entry["Statut"] == "En cours" and entry["Référence"] == records["reference"]

    # The audit trail: labels, Paris time, the raw data folded; it fits a 1,366 px screen.
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_role("link", name="Journal d'audit").click()
    expect(page.get_by_role("heading", name="Journal d'audit")).to_be_visible()
    trail = page.get_by_role("table")
    expect(trail).to_contain_text("Registre des violations exporté")
    expect(trail).to_contain_text("Fiche de violation importée")
    assert "register.export" not in flat(trail.evaluate("t => t.innerText"))  # codes only in the raw data
    assert no_sideways_scroll(page)
    assert_accessible(page, "audit trail")
    screenshot(page, "records-13-audit")
    trail.get_by_text("Données brutes").first.click()
    expect(trail.locator("details[open] code").first).to_be_visible()

    audit_pdf = download(page, page.get_by_role("link", name="PDF/A"))
    with pdfplumber.open(audit_pdf) as document:
        table = document.pages[0].extract_tables()[0]
    assert [flat(c) for c in table[0]] == ["N°", "Date et heure (Paris)", "UTC", "Utilisateur", "Action", "Objet",
                                         "Empreinte"]
    assert all(flat(row[2]).endswith("UTC") for row in table[1:])
    audit_csv = download(page, page.get_by_role("link", name="CSV", exact=True)).read_text(encoding="utf-8-sig")
    imported = [row for row in csv.DictReader(io.StringIO(audit_csv), delimiter=";")
                if row["action"] == "breach.import"]
    assert [row["breach_id"] for row in imported] == [str(records["breach"])]

    # The breach's history, in words.
    page.goto(f"{live_server}/breaches/{records['breach']}/history")
    expect(page.get_by_role("heading", name="Historique des modifications")).to_be_visible()
    assert_accessible(page, "history")
    screenshot(page, "records-13-history")


def test_at_390_px_nothing_scrolls_sideways_and_the_step_menu_is_folded(
        page: Page, live_server, records, screenshot, assert_accessible):
    log_in(page, live_server, "dpo@crs.test")
    screenshot(page, "records-14-dashboard")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    logout = page.get_by_role("button", name="Se déconnecter")
    expect(logout).to_be_visible()
    assert no_sideways_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    assert_accessible(page, "dashboard at 390 px")  # contrast of "Se déconnecter" included
    screenshot(page, "records-14-dashboard")

    page.goto(f"{live_server}/breaches/{records['breach']}")
    assert no_sideways_scroll(page), page.evaluate("""[...document.querySelectorAll('body *')].filter(e =>
        e.getBoundingClientRect().right > 392).slice(0, 12).map(e => e.tagName + '.' + e.className + '#' + e.id + ':'
        + Math.round(e.getBoundingClientRect().right)).join(' | ')""")
    assert_accessible(page, "breach page at 390 px")
    screenshot(page, "records-14-breach")

    page.goto(f"{live_server}/breaches/{records['breach']}/steps/people")
    assert no_sideways_scroll(page), page.evaluate("document.documentElement.scrollWidth")
    menu = page.locator("nav.steps details.steps-fold")
    expect(menu).not_to_have_attribute("open", "")
    first_step = page.locator("nav.steps li a").first
    expect(first_step).to_be_hidden()
    assert_accessible(page, "wizard step at 390 px")
    screenshot(page, "records-14-wizard")
    page.locator("nav.steps summary").click()
    expect(first_step).to_be_visible()
    screenshot(page, "records-14-wizard-menu-open")

    page.set_viewport_size({"width": 1280, "height": 900})
    page.reload()
    expect(page.locator("nav.steps li a").first).to_be_visible()  # unfolded on a wide screen
    screenshot(page, "records-14-wizard")
