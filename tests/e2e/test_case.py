"""The case of a breach in a real browser: the DPO adds a task tied to the CNIL clock, files a piece of evidence and
logs the CNIL's request for more information with its reply-by date; the breach page shows the plan and the
timeline; the evidence comes back byte-identical; the timeline goes into "circonstances" in one click and the
dossier is downloaded. Screenshots under test-output/screenshots/."""

import re
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from notifier.extensions import db

PASSWORD = "case passphrase 2026"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
EVIDENCE = b"Rapport d'expertise forensique : exfiltration par compte VPN compromis.\n" * 20


@pytest.fixture
def case_breach(live_app):
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user
    from notifier.breaches.services import create_breach, save_step

    with live_app.app_context():
        organisation = Organisation(name="Centre hospitalier du Lac")
        establishment = Establishment(organisation=organisation, name="Centre hospitalier du Lac",
                                      siren="552100554", finess="740781234", address="1 quai du Lac, 74000 Annecy",
                                      dpo_name="Claire Martin", dpo_email="dpo@lac.test", nis2_in_scope=False)
        db.session.add_all([organisation, establishment])
        db.session.commit()
        dpo = add_user("dpo@lac.test", "dpo", PASSWORD, organisation=organisation)
        add_user("juriste@lac.test", "legal", PASSWORD, organisation=organisation)
        breach = create_breach(dpo, establishment)
        save_step(breach, "dates", {"aware_at": "2026-11-30T09:15"}, user=dpo, expected_version=breach.version)
        db.session.commit()
        return breach.id


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"case-{name}.png"), full_page=True)


def test_the_dpo_adds_a_task_an_evidence_file_and_an_exchange(page: Page, live_server, case_breach, tmp_path,
                                                              accessibility):
    page.goto(f"{live_server}/login")
    page.get_by_label("Courriel").fill("dpo@lac.test")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Violations en cours")).to_be_visible()

    page.goto(f"{live_server}/breaches/{case_breach}")
    expect(page.get_by_role("heading", name="Gestion du dossier")).to_be_visible()
    page.get_by_role("link", name="Ouvrir le dossier : plan, pièces, chronologie, échanges").click()
    expect(page.get_by_role("heading", name="Plan d'action", exact=True)).to_be_visible()
    expect(page.get_by_text("Notifier la CNIL (RGPD art. 33)")).to_be_visible()
    shot(page, "01-plan")

    page.get_by_text("Ajouter une tâche").click()
    page.get_by_label("Intitulé").fill("Informer l'assureur cyber")
    page.get_by_label("ou liée à").select_option("cnil")
    page.locator("#task-offset").fill("-12 h")
    page.get_by_role("button", name="Ajouter la tâche").click()
    expect(page.get_by_text("Tâche ajoutée au plan d'action.")).to_be_visible()
    row = page.locator("tr", has_text="Informer l'assureur cyber")
    expect(row).to_contain_text("échéance CNIL (72 h) -12 h")
    expect(row).to_contain_text("2 décembre 2026")  # 30 Nov 09:15 + 72 h - 12 h = 2 Dec 21:15 Paris
    shot(page, "02-task-added")

    report = tmp_path / "rapport-forensique.pdf"
    report.write_bytes(EVIDENCE)
    page.locator("#evidence-file").set_input_files(str(report))
    page.locator("#evidence-description").fill("Rapport du prestataire")
    page.get_by_role("button", name="Verser au coffre").click()
    expect(page.get_by_text("Pièce versée au coffre, chiffrée.")).to_be_visible()
    with page.expect_download() as info:
        page.get_by_role("link", name="rapport-forensique.pdf").first.click()
    assert Path(info.value.path()).read_bytes() == EVIDENCE
    shot(page, "03-evidence")

    form = page.locator("#add-exchange")
    form.get_by_label("Sens").select_option("in")
    form.get_by_label("Correspondant").select_option("cnil")
    form.get_by_label("Date et heure (heure de Paris)").fill("2026-12-01T10:30")
    form.get_by_label("Objet").fill("Demande d'informations complémentaires")
    form.get_by_label("Référence").fill("CNIL-2026-0456")
    form.get_by_label("Réponse attendue au plus tard le (devient un délai à suivre)").fill("2026-12-15T18:00")
    form.get_by_label("rapport-forensique.pdf").check()
    form.get_by_role("button", name="Enregistrer l'échange").click()
    expect(page.get_by_text("Échange enregistré.")).to_be_visible()
    exchange = page.locator("tr", has_text="Demande d'informations complémentaires")
    expect(exchange).to_contain_text("réponse attendue")
    expect(exchange).to_contain_text("15 décembre 2026")
    expect(page.locator(".timeline")).to_contain_text("Courrier reçu (CNIL)")
    shot(page, "04-exchange")
    assert accessibility(page) == []

    page.goto(f"{live_server}/breaches/{case_breach}")
    panel = page.locator(".case-panel")
    expect(panel).to_contain_text("0 tâche(s) sur 11 faites ou sans objet.")  # 10 default (no NIS2) + 1
    expect(panel).to_contain_text("Échanges en attente de réponse")
    expect(panel.locator(".timeline")).to_contain_text("Prise de connaissance de la violation")
    shot(page, "05-breach-panel")

    # The timeline's facts copied into "circonstances" with one click (issue 16, point 3), then the dossier.
    page.goto(f"{live_server}/breaches/{case_breach}/steps/dates")
    area = page.locator("#discovery_circumstances")
    area.fill("Alerte du prestataire reçue par téléphone.")
    page.get_by_role("button", name="Insérer la chronologie du dossier").click()
    expect(area).to_have_value(re.compile(r"^Alerte du prestataire reçue par téléphone\.\n.*Prise de connaissance "
                                          r"de la violation.*\n.*Courrier reçu \(CNIL\)", re.DOTALL))
    shot(page, "06-timeline-inserted")

    page.goto(f"{live_server}/breaches/{case_breach}/case")
    with page.expect_download() as info:
        page.get_by_role("link", name="Exporter le dossier complet (ZIP)").click()
    with zipfile.ZipFile(info.value.path()) as archive:
        names = archive.namelist()
        assert "MANIFEST.sha256" in names and "case/case.pdf" in names
        assert any(name.endswith("rapport-forensique.pdf") and archive.read(name) == EVIDENCE for name in names)
