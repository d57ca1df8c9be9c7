"""Issue 15 in the regulator documents: the ARS / CERT Santé form's missing answers (arrêté du 30 octobre 2017), the
NIS2 intermediate and progress reports (directive 2022/2555 art. 23(4)(c) and (e)) and the NIS1 clock of an operator
of essential services (décret 2018-384 art. 11)."""

from datetime import UTC, datetime

import pytest

from notifier.breaches import services as breaches
from notifier.extensions import db
from notifier.reports import services as reports

AFTER_FINAL_DUE = datetime(2026, 12, 20, 12, 0, tzinfo=UTC)


def _other(**values):
    def change(doc):
        doc["sections"]["other_bodies"].update(values)
    return change


def test_the_ars_summary_states_the_response_the_care_impact_and_the_support_asked(make_example, dpo, pdf):
    breach = make_example(_other(ars_response_state="containment", degraded_mode=True, crisis_cell=True,
                                 care_impact="Consultations reportées de deux jours.", cert_sante_support=True,
                                 cert_sante_support_details="Analyse des journaux du serveur d'export."))
    document = reports.read_version(reports.generate(breach, user=dpo, document="ars"))
    rows, text = pdf.rows(document), pdf.text(document)
    assert ["État de la prise en charge de l'incident", "En cours de confinement"] in rows
    assert ["Fonctionnement en mode dégradé", "Oui"] in rows and ["Cellule de crise activée", "Oui"] in rows
    assert ["Conséquences sur la prise en charge des patients", "Consultations reportées de deux jours."] in rows
    assert ["Besoin d'un appui du CERT Santé", "Oui"] in rows
    assert "Appui du CERT Santé" in text and "Analyse des journaux du serveur d'export." in text


def test_the_intermediate_report_exists_only_once_the_authority_asked_for_it(make_example, dpo, pdf):
    breach = make_example()
    assert "nis2_intermediate_report" not in [d.code for d in reports.available_documents(breach)]
    with pytest.raises(reports.ReportError):
        reports.generate(breach, user=dpo, document="nis2_intermediate_report")
    asked = make_example(_other(nis2_intermediate_requested_at="2026-10-28T10:00:00+01:00",
                                nis2_intermediate_due_at="2026-11-04T12:00:00+01:00"))
    assert "nis2_intermediate_report" in [d.code for d in reports.available_documents(asked)]
    text = pdf.text(reports.read_version(reports.generate(asked, user=dpo, document="nis2_intermediate_report")))
    assert "Rapport intermédiaire : état de la situation (art. 23(4)(c))" in text
    assert "Échéance 4 novembre 2026 à 12 h 00" in text


def test_an_incident_ongoing_at_the_final_report_date_owes_a_progress_report(make_example, dpo, pdf):
    def ongoing(doc):
        doc["sections"]["dates"].update(ongoing=True, ended_at=None)
        doc["sections"]["other_bodies"]["nis2_notification_sent_at"] = "2026-10-26T10:00:00+01:00"
    breach = make_example(ongoing)
    codes = [c.code for c in breaches.clocks(breach, now=AFTER_FINAL_DUE)]
    # Art. 23(4)(e): the final report waits for the end of the handling; the progress report is due instead.
    assert "nis2_progress_report" in codes and "nis2_final_report" not in codes
    progress = next(c for c in breaches.clocks(breach, now=AFTER_FINAL_DUE) if c.code == "nis2_progress_report")
    assert progress.due == datetime(2026, 11, 26, 9, 0, tzinfo=UTC)  # one month after the notification
    text = pdf.text(reports.read_version(reports.generate(breach, user=dpo, document="nis2_progress_report")))
    assert "Rapport d'avancement : incident toujours en cours (art. 23(4)(e))" in text


def test_an_incident_over_before_the_final_report_date_keeps_its_final_report(make_example):
    breach = make_example()
    codes = [c.code for c in breaches.clocks(breach, now=AFTER_FINAL_DUE)]
    assert "nis2_final_report" in codes and "nis2_progress_report" not in codes


def test_an_operator_of_essential_services_gets_the_anssi_clock(make_example, establishment):
    breach = make_example()
    assert "anssi_oes" not in [c.code for c in breaches.clocks(breach)]
    establishment.nis1_oes = True
    db.session.commit()
    clock = next(c for c in breaches.clocks(breach) if c.code == "anssi_oes")
    assert clock.immediate and clock.status == "overdue"
    reported = make_example(_other(anssi_reported_at="2026-10-23T18:00:00+02:00", anssi_reference="ANSSI-42"))
    assert next(c for c in breaches.clocks(reported) if c.code == "anssi_oes").status == "done_on_time"


def test_the_cnil_report_carries_the_new_fields_of_the_form(make_example, dpo, pdf):
    def filled(doc):
        doc["sections"]["contacts"].update(filer_name="Paul Girard", joint_controllers=True,
                                           joint_controller_identity="GCS e-Santé Rhône")
        doc["sections"]["notification"]["notification_state"] = "incomplete"
        doc["sections"]["measures"]["security_measures_before"] = ["encryption_at_rest", "backups"]
    breach = make_example(filled)
    document = reports.read_version(reports.generate(breach, user=dpo, document="cnil"))
    rows = pdf.rows(document)
    assert ["Personne qui dépose la notification", "Paul Girard"] in rows
    assert ["Autre responsable conjoint (nom, SIREN, contact)", "GCS e-Santé Rhône"] in rows
    assert ["État de la notification", "Incomplète (à compléter)"] in rows
    assert ["Mesures de sécurité en place avant la violation", "Chiffrement des données stockées, Sauvegardes"] in rows


def test_the_administrator_sets_the_nis1_operator_setting_per_establishment(establishment, admin, login_as):
    client = login_as(admin)
    page = client.get(f"/admin/establishments/{establishment.id}").get_data(as_text=True)
    assert 'name="nis1_oes"' in page
    response = client.post(f"/admin/establishments/{establishment.id}", data={
        "csrf_token": client.csrf_token or client.fetch_csrf_token(), "name": establishment.name,
        "siren": establishment.siren, "finess": establishment.finess, "nis1_oes": "y"})
    assert response.status_code == 302
    db.session.refresh(establishment)
    assert establishment.nis1_oes is True
