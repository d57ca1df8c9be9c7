"""The DPO's day, in a real browser: log in, record the breach step by step, watch the clock, and on to the report,
the patients and the letters. Screenshots of each step are kept under test-output/e2e/."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from notifier.extensions import db

PASSWORD = "journey passphrase 2026"
PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def people(live_app):
    from notifier.models import Establishment, Organisation
    from notifier.services.users import add_user

    with live_app.app_context():
        organisation = Organisation(name="Groupe Clinique Rhône-Saône")
        db.session.add(organisation)
        db.session.add(Establishment(
            organisation=organisation, name="Groupe Clinique Rhône-Saône", siren="552100554", finess="690781234",
            address="12 rue des Tilleuls, 69003 Lyon", dpo_name="Claire Martin", dpo_email="dpo@crs.test",
            dpo_phone="04 72 10 20 30", legal_representative="Jean-Marc Fabre",
            legal_representative_title="Directeur général", nis2_in_scope=True))
        db.session.commit()
        add_user("dpo@crs.test", "dpo", PASSWORD, organisation=organisation)
        add_user("juriste@crs.test", "legal", PASSWORD, organisation=organisation)
    return {"dpo": "dpo@crs.test", "legal": "juriste@crs.test"}


def log_in(page: Page, base: str, email: str):
    page.goto(f"{base}/login")
    page.get_by_label("Courriel").fill(email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Violations en cours")).to_be_visible()


def paris_input(instant: datetime) -> str:
    return instant.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def save_and_continue(page: Page):
    page.get_by_role("button", name="Enregistrer et continuer").click()


def test_the_dpo_records_a_breach_and_sees_the_clock(page: Page, live_server, people, shots, accessibility):
    base = live_server
    log_in(page, base, people["dpo"])
    shots(page, "dashboard-empty")
    assert accessibility(page) == []

    page.get_by_role("button", name="Déclarer une violation").click()
    expect(page.get_by_role("heading", name="Type de notification")).to_be_visible()
    page.get_by_label("Intitulé interne de la violation").fill("Vol de la base patients et mise en vente")
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

    page.get_by_label("Information des personnes").select_option("will_be")
    page.get_by_label("Courrier postal").check()
    save_and_continue(page)

    page.get_by_label("Incident signalé à l'ARS / CERT Santé").check()
    save_and_continue(page)

    expect(page.get_by_role("heading", name="Envoi à la CNIL")).to_be_visible()
    save_and_continue(page)

    # The breach page: the live countdown, about 52 hours left, and no art. 33(3) element missing.
    expect(page.get_by_role("heading", name=re.compile("Vol de la base patients"))).to_be_visible()
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
