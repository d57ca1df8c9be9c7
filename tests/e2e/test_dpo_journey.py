"""The DPO's day, in a real browser: log in, record the breach step by step, watch the clock; then assess the risk,
download the CNIL report, import the patients, write the letter, have a jurist approve it in her own session, and
generate the letters. Screenshots of each step are kept under test-output/e2e/."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pdfplumber
import pytest
from playwright.sync_api import Page, expect

from notifier.core.formatting import format_datetime
from notifier.extensions import db
from tests.e2e import browser

PASSWORD = "journey passphrase 2026"
PARIS = ZoneInfo("Europe/Paris")
TITLE = "Vol de la base patients et mise en vente"


@pytest.fixture
def people(live_app):
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user

    with live_app.app_context():
        organisation = Organisation(name="Groupe Clinique Rhône-Saône")
        db.session.add(organisation)
        db.session.add(Establishment(
            organisation=organisation, name="Groupe Clinique Rhône-Saône", siren="552100554", finess="690781232",
            address="12 rue des Tilleuls, 69003 Lyon", dpo_name="Claire Martin", dpo_email="dpo@crs.test",
            dpo_phone="04 72 10 20 30", legal_representative="Jean-Marc Fabre",
            legal_representative_title="Directeur général", nis2_in_scope=True))
        db.session.commit()
        add_user("dpo@crs.test", "dpo", PASSWORD, organisation=organisation)
        add_user("juriste@crs.test", "legal", PASSWORD, organisation=organisation)
        db.session.commit()
    return {"dpo": "dpo@crs.test", "legal": "juriste@crs.test"}


def log_in(page: Page, base: str, email: str):
    browser.log_in(page, base, email, PASSWORD)


def paris_input(instant: datetime) -> str:
    return instant.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def save_and_continue(page: Page):
    page.get_by_role("button", name="Enregistrer et continuer").click()


def download(page: Page, control) -> Path:
    """Clicks a download link or button; returns the downloaded file."""
    with page.expect_download() as info:
        control.click()
    return Path(info.value.path())


def script_problems(page: Page) -> list[str]:
    """Collects the script errors and console errors (a script or a fetch refused by the CSP...) of every page shown
    in `page` from now on. HTTP error statuses are left out: the pages themselves say what went wrong."""
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error"
            and not message.text.startswith("Failed to load resource") else None)
    return problems


def pdf_text(path: Path) -> str:
    with pdfplumber.open(path) as pdf:
        return "\n".join(page.extract_text() or "" for page in pdf.pages)


def record_the_breach(page: Page, shots, accessibility) -> datetime:
    """From the dashboard, through every step of the wizard (an impossible date refused, then corrected), to the
    breach page. Returns the awareness instant (20 hours ago)."""
    page.get_by_role("link", name="Déclarer une violation").click()
    expect(page.get_by_role("heading", name="Type de notification")).to_be_visible()
    page.get_by_label("Intitulé interne de la violation").fill(TITLE)
    page.get_by_label("Type de notification").select_option("initial")
    shots(page, "step-notification")
    assert accessibility(page) == []
    save_and_continue(page)

    expect(page.get_by_role("heading", name="Contact et représentant légal")).to_be_visible()
    expect(page.get_by_label("Personne à contacter (DPO)")).to_have_value("Claire Martin")
    save_and_continue(page)

    # Dates: first an impossible date, shown next to its field; then corrected.
    aware = datetime.now(UTC) - timedelta(hours=20)
    page.get_by_label("Début de la violation").fill(paris_input(aware - timedelta(days=6)))
    page.get_by_label("Découverte de la violation").fill(paris_input(aware - timedelta(hours=4)))
    page.get_by_label("Prise de connaissance (point de départ des 72 h)").fill(
        paris_input(datetime.now(UTC) + timedelta(days=2)))
    page.get_by_label("Circonstances de la découverte").fill(
        "Annonce de mise en vente repérée sur un forum par le prestataire d'infogérance.")
    save_and_continue(page)
    expect(page.locator("#aware_at-error")).to_contain_text("futur")
    expect(page.get_by_label("Circonstances de la découverte")).to_have_value(re.compile("forum"))
    shots(page, "step-dates-error")
    page.get_by_label("Prise de connaissance (point de départ des 72 h)").fill(paris_input(aware))
    save_and_continue(page)

    expect(page.get_by_role("heading", name="Nature de la violation")).to_be_visible()
    page.get_by_label("Perte de confidentialité").check()
    page.get_by_label("Copie ou exfiltration de données").check()
    page.get_by_label("Description de la violation").fill("Extraction de la table des patients par intrusion.")
    save_and_continue(page)

    page.get_by_label("Piratage, logiciel malveillant (rançongiciel…) et/ou hameçonnage").check()
    page.get_by_label("Cause de l'incident").select_option("external_malicious")
    save_and_continue(page)

    page.get_by_label("Systèmes, logiciels et supports concernés").fill("Serveur d'export du DPI")
    save_and_continue(page)

    page.get_by_label("Patients").check()
    page.get_by_label("Nombre de personnes concernées").fill("758912")
    save_and_continue(page)

    page.get_by_label("Données de santé").check()
    page.get_by_label("État civil, identité").check()
    page.get_by_label("Nombre approximatif d'enregistrements").fill("2431077")
    save_and_continue(page)

    page.get_by_label("Perte du secret professionnel (secret médical)").check()
    page.get_by_label("Description des conséquences probables").fill("Divulgation du secret médical, hameçonnage.")
    page.get_by_label("Gravité estimée").select_option("maximum")
    save_and_continue(page)

    page.get_by_label("Mesures prises pour remédier à la violation et en atténuer les effets").fill(
        "Compte de service désactivé, double authentification imposée.")
    save_and_continue(page)

    # The risk step comes before "Information des personnes" (issue 13): the journey assesses it later, from the
    # breach page, and goes on.
    expect(page.get_by_role("heading", name="Évaluation du risque", level=1)).to_be_visible()
    page.get_by_role("link", name="Continuer : Information des personnes").click()
    page.get_by_label("Information des personnes").select_option("will_be")
    page.get_by_label("Courrier postal").check()
    save_and_continue(page)

    page.get_by_label("Incident signalé à l'ARS / CERT Santé").check()
    save_and_continue(page)

    expect(page.get_by_role("heading", name="Envoi à la CNIL")).to_be_visible()
    save_and_continue(page)

    expect(page.get_by_role("heading", name=re.compile("Vol de la base patients"))).to_be_visible()
    return aware


def test_the_dpo_records_a_breach_and_sees_the_clock(page: Page, live_server, people, shots, accessibility):
    base = live_server
    problems = script_problems(page)
    log_in(page, base, people["dpo"])
    shots(page, "dashboard-empty")
    assert accessibility(page) == []

    record_the_breach(page, shots, accessibility)

    # The breach page: the live countdown, about 52 hours left, and no art. 33(3) element missing.
    cnil = page.locator(".clock").first
    expect(cnil).to_contain_text("Reste")
    expect(cnil.locator(".countdown")).to_have_text(re.compile(r"2\u00a0j 3\u00a0h|2\u00a0j 4\u00a0h"))
    expect(page.get_by_text("Éléments de l'article 33(3) encore manquants")).to_have_count(0)
    shots(page, "breach-page")
    assert accessibility(page) == []

    page.get_by_role("link", name="Tableau de bord").click()
    expect(page.locator(".breach-card")).to_have_count(1)
    shots(page, "dashboard-with-clock")
    assert accessibility(page) == []
    assert problems == []


PATIENTS = [  # a hospital export: French headers, ";" separated; 4 good rows, 2 bad ones
    ["IPP", "Civilité", "Prénom", "Nom", "Date de naissance", "Adresse", "Code postal", "Ville"],
    ["100001", "Mme", "Léa", "Petit", "01/02/1970", "3 avenue Foch", "69003", "Lyon"],
    ["100002", "M.", "Paul", "Durand", "05/06/1950", "1 place Bellecour", "69002", "Lyon"],
    ["100003", "Mme", "Hélène", "Lefèvre", "14/07/1985", "8 rue de la République", "69001", "Lyon"],
    ["100004", "M.", "Karim", "Benali", "23/11/1978", "27 cours Gambetta", "69007", "Lyon"],
    ["100005", "M.", "Jean", "Martin", "12/03/1960", "12 rue des Lilas", "750", "Paris"],  # a postcode cut short
    ["100006", "Mme", "Anne", "Roux", "31/02/1980", "4 quai Saint-Vincent", "69001", "Lyon"],  # no 31 February
]


def terms(scope) -> dict[str, str]:
    """A definition list as {term: definition}."""
    return dict(zip(scope.get_by_role("term").all_inner_texts(), scope.get_by_role("definition").all_inner_texts(),
                    strict=True))


def flat(text: str) -> str:
    """Text with every run of white space (no-break spaces and line breaks included) as one space."""
    return " ".join(text.split())


def verdict(table, obligation: str):
    """The "Retenu" cell of an obligation's row in the verdicts table."""
    return table.get_by_role("row", name=re.compile("^" + re.escape(obligation))).get_by_role("cell").last


def test_then_the_dpo_assesses_reports_imports_the_patients_and_sends_approved_letters(
        page: Page, browser, browser_context_args, live_server, people, shots, accessibility, tmp_path):
    base = live_server
    problems = script_problems(page)
    log_in(page, base, people["dpo"])
    aware = record_the_breach(page, lambda page, name: None, lambda page: [])
    aware = aware.replace(second=0, microsecond=0)  # as typed in the form
    breach_link = page.get_by_role("link", name=re.compile(rf"^VIO-\d{{4}}-0001 {TITLE}$"))

    # 1. The risk assessment, from the breach page: facts prefilled from the record, then the decision and its reasons.
    page.get_by_role("region", name="Évaluation du risque").get_by_role("link", name="Évaluer le risque").click()
    expect(page.get_by_role("heading", name="Évaluation du risque", level=1)).to_be_visible()
    expect(page.get_by_text("Le risque n'a pas encore été évalué")).to_be_visible()
    expect(page.get_by_label("Données de santé")).to_be_checked()
    expect(page.get_by_label("Nombre de personnes concernées")).to_have_value("758912")
    shots(page, "risk-facts")
    assert accessibility(page) == []
    page.get_by_role("button", name="Évaluer le risque").click()
    # The decision first (issue 13, point 7), then the reasons; the method is one click away.
    result = page.get_by_role("region", name="Décision", exact=True)
    expect(result).to_contain_text("Risque élevé")
    expect(result.locator("#decision-line")).to_contain_text("Notifier la CNIL")
    result.locator("details.method > summary").click()
    verdicts = result.get_by_role("table", name="Verdicts")
    expect(verdict(verdicts, "Notifier la CNIL")).to_have_text("oui")
    expect(verdict(verdicts, "Informer chaque personne")).to_have_text("oui")
    reasons = result.get_by_role("listitem")
    expect(reasons.filter(has_text="la notifier à la CNIL dans les 72 heures")).to_be_visible()
    expect(reasons.filter(has_text="Risque élevé : informer chaque personne dans les meilleurs délais")).to_be_visible()
    shots(page, "risk-result")
    assert accessibility(page) == []

    # 2. The CNIL report: generated from the reports panel, downloaded, read.
    breach_link.click()
    expect(page.get_by_role("region", name="Évaluation du risque")).to_contain_text(
        re.compile("Notifier la CNIL \\(art. 33\\)\\s?: oui"))
    reports_panel = page.get_by_role("region", name="Notifications et rapports")
    reports_panel.get_by_label("Document").select_option("cnil")
    reports_panel.get_by_role("button", name="Générer une nouvelle version").click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 générée", timeout=20_000)  # WeasyPrint
    shots(page, "report-generated")
    assert accessibility(page) == []
    cnil = page.get_by_role("table", name="Documents").get_by_role("row", name=re.compile("^Notification à la CNIL"))
    report = flat(pdf_text(download(page, cnil.get_by_role("link", name="Télécharger la version 1"))))
    assert re.search(rf"Notification à la CNIL VIO-\d{{4}}-0001 — {TITLE}", report)
    assert "Établissement Groupe Clinique Rhône-Saône · SIREN 552100554" in report
    assert f"Prise de connaissance {flat(format_datetime(aware))}" in report
    assert f"Échéance {flat(format_datetime(aware + timedelta(hours=72)))}" in report

    # 3. The patients: a CSV file imported in the background; the rejected rows come back with their reasons.
    upload = tmp_path / "export-dpi.csv"
    with open(upload, "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, delimiter=";").writerows(PATIENTS)
    page.get_by_role("link", name=re.compile("^Patients : import")).click()
    expect(page.get_by_role("heading", name="Patients concernés", level=1)).to_be_visible()
    shots(page, "patients-empty")
    assert accessibility(page) == []
    page.get_by_label("Fichier CSV ou XLSX").set_input_files(upload)
    page.get_by_role("button", name="Importer").click()
    # Every header is recognised, and the DPO still confirms the columns from their first values (issue 13.10).
    expect(page.locator("#all-recognised")).to_be_visible()
    shots(page, "patients-columns")
    assert accessibility(page) == []
    page.get_by_role("button", name="Lancer l'import").click()
    expect(page.get_by_role("heading", name="Import du fichier « export-dpi.csv »")).to_be_visible()
    status = page.get_by_role("paragraph").filter(has_text=re.compile("^Statut"))
    expect(status).to_contain_text("terminé", timeout=20_000)  # the page follows the import, then reloads itself
    counts = terms(page.get_by_role("main"))
    assert (counts["Lignes lues"], counts["Acceptées"], counts["Rejetées"]) == ("6", "4", "2")
    shots(page, "patients-imported")
    assert accessibility(page) == []
    rejected = download(page, page.get_by_role("link", name=re.compile("Télécharger les lignes rejetées")))
    rows = list(csv.reader(io.StringIO(rejected.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0] == [*PATIENTS[0], "erreurs"]
    assert [row[:-1] for row in rows[1:]] == PATIENTS[5:]
    assert "Code postal français invalide" in rows[1][-1] and "«\u00a0750\u00a0»" in rows[1][-1]
    assert "Date impossible\u00a0: ce jour n'existe pas" in rows[2][-1]

    # 4. The letter: the DPO writes it from the breach record; the jurist approves it in her own session.
    breach_link.click()
    page.get_by_role("link", name=re.compile("^Courriers : modèles")).click()
    expect(page.get_by_role("heading", name="Courriers aux patients", level=1)).to_be_visible()
    shots(page, "letters-empty")
    assert accessibility(page) == []
    expect(page.get_by_label("Nouvelle variante")).to_have_value("standard")
    page.get_by_role("button", name="Rédiger").click()
    # The starting text speaks to patients in plain words (art. 34(2)), from the record, not the CNIL's answer.
    expect(page.get_by_label("Nature de la violation")).to_have_value(
        re.compile("ont copié une partie de nos fichiers"))
    expect(page.get_by_label("Établissement expéditeur")).to_have_value("Groupe Clinique Rhône-Saône")
    page.get_by_label("Conseils concrets pour se protéger").fill(
        "Méfiez-vous des appels et courriels se présentant comme venant de la clinique.")
    shots(page, "letter-editor")
    assert accessibility(page) == []
    page.get_by_role("button", name="Enregistrer une nouvelle version").click()
    standard = page.get_by_role("row", name=re.compile("^standard"))
    expect(standard).to_contain_text("En attente d'approbation")
    expect(standard.get_by_role("link", name="Relire et approuver")).to_have_count(0)  # not the author's to approve
    letters_url = page.url

    jurist_context = browser.new_context(**browser_context_args)
    try:
        jurist = jurist_context.new_page()
        jurist_problems = script_problems(jurist)
        log_in(jurist, base, people["legal"])
        jurist.goto(letters_url)
        jurist.get_by_role("row", name=re.compile("^standard")).get_by_role("link", name="Relire et approuver").click()
        expect(jurist.get_by_role("heading", name="Variante « standard », version 1")).to_be_visible()
        expect(jurist.get_by_text("Méfiez-vous des appels et courriels")).to_be_visible()
        shots(jurist, "letter-review-by-the-jurist")
        assert accessibility(jurist) == []
        jurist.get_by_label("J'ai relu cette version et j'approuve son envoi aux patients").check()  # four eyes
        jurist.get_by_role("button", name="Approuver cette version").click()
        expect(jurist.get_by_role("status")).to_contain_text("Version 1 de la variante « standard » approuvée")
        assert jurist_problems == []
    finally:
        jurist_context.close()

    # 5. The letters: generated in the background, the progress followed to 100 %, a lot and the manifest read.
    page.reload()
    expect(page.get_by_role("row", name=re.compile("^standard"))).to_contain_text("Approuvée juriste@crs.test")
    expect(page.get_by_label("Projets (filigrane PROJET)")).not_to_be_checked()
    page.get_by_label("Courriers par lot").fill("2")
    page.get_by_role("button", name="Lancer la génération").click()
    expect(page.get_by_role("heading", name="Génération n°1 · courriers définitifs")).to_be_visible()
    shots(page, "letters-generating")
    progress = page.get_by_role("progressbar", name="Avancement de la génération")
    expect(progress).to_have_attribute("value", "4", timeout=60_000)  # the page polls the JSON progress
    expect(progress).to_have_attribute("max", "4")
    job_counts = page.get_by_role("paragraph").filter(has_text="courriers/s")
    expect(job_counts).to_contain_text(re.compile(r"4 / 4 courriers\s+\(100 %\)"))
    expect(job_counts).to_contain_text("terminée")
    shots(page, "letters-done")
    assert accessibility(page) == []
    manifest = download(page, page.get_by_role("link", name="Télécharger manifest.csv"))
    letters = {row["patient_id"]: row for row in csv.DictReader(io.StringIO(manifest.read_text(encoding="utf-8")))}
    assert sorted(letters) == ["100001", "100002", "100003", "100004"]
    lot_name = letters["100003"]["lot"]
    lot = pdf_text(download(page, page.get_by_role("link", name=lot_name)))
    assert "Madame Hélène LEFÈVRE\n8 rue de la République\n69001 LYON" in lot
    assert letters["100003"]["reference"] in lot
    assert "Méfiez-vous des appels et courriels" in lot

    # The breach page sums up the day.
    breach_link.click()
    expect(page.get_by_role("region", name="Patients concernés")).to_contain_text(
        re.compile("4 patients importés\\s?: 4 prêts pour le courrier"))
    expect(page.get_by_role("region", name="Courriers aux patients").get_by_role("cell")).to_have_text(["4"])
    shots(page, "breach-page-end-of-day")
    assert accessibility(page) == []

    # The register as PDF/A: built behind a status line (it takes seconds for a year of breaches), then saved.
    page.get_by_role("link", name="Registre", exact=True).click()
    with page.expect_download() as info:
        page.get_by_role("link", name="PDF/A").click()
    assert info.value.suggested_filename == "registre-violations.pdf"
    register = Path(info.value.path())
    assert register.read_bytes().startswith(b"%PDF") and "VIO-2026-0001" in pdf_text(register)
    expect(page.get_by_role("status")).to_have_text(re.compile(r"Fichier prêt\s?: registre-violations\.pdf"))
    shots(page, "register-exported")
    assert accessibility(page) == []
    assert problems == []
