"""The ARS / CERT Santé summary (CSP L.1111-8-2, décret 2016-1214) and the NIS2 summaries (directive 2022/2555
art. 23(4)), made from the same breach record as the CNIL report."""

import json

import pytest

from notifier.breaches import services as breaches
from notifier.extensions import db
from notifier.reports import services as reports


def test_the_ars_summary_has_what_the_signalement_form_asks(example_breach, dpo, pdf):
    version = reports.generate(example_breach, user=dpo, document="ars")
    document = reports.read_version(version)
    text = pdf.text(document)
    assert "Signalement ARS / CERT Santé (incident de sécurité des SI)" in text
    assert "signalement.social-sante.gouv.fr" in text and "09 72 43 91 25" in text
    establishment = example_breach.establishment
    assert f"FINESS {establishment.finess}" in text and establishment.name in text
    assert -1 not in pdf.in_order(text, [
        "1. Établissement déclarant", "2. Dates de l'incident", "3. Description de l'incident",
        "4. Impact sur la prise en charge des patients", "5. Personnes et données concernées",
        "6. Mesures prises et envisagées", "7. Autres signalements"])
    assert "Début de la violation 17 octobre 2026 à 03 h 12" in text
    assert "Soins annulés, reportés ou dégradés Non" in text  # from the risk facts' care_disrupted
    assert "Claire Martin" in text and "SIG-ARA-2026-004512" in text
    # The "sans délai" clock: reported 23 Oct at 16:05, with no hour count.
    assert "Envoyé le 23 octobre 2026 à 16 h 05" in text and "Fait." in text
    with pdf.open(document) as opened:
        assert opened.open_metadata()["pdfaid:part"] == "3"
        embedded = json.loads(opened.attachments[f"{example_breach.reference}.json"].get_file().read_bytes())
    assert embedded["sections"] == breaches.export_document(example_breach)["sections"]


@pytest.mark.parametrize(("document", "headings"), [
    ("nis2_early_warning", ["3. Alerte précoce (art. 23(4)(a))"]),
    ("nis2_notification", ["3. Alerte précoce (art. 23(4)(a))",
                           "4. Évaluation initiale : gravité et impact (art. 23(4)(b))"]),
    ("nis2_final_report", ["3. Alerte précoce (art. 23(4)(a))",
                           "4. Évaluation initiale : gravité et impact (art. 23(4)(b))",
                           "5. Rapport final (art. 23(4)(d))", "Type de menace ou cause profonde",
                           "Mesures d'atténuation appliquées et en cours", "Impact transfrontière"]),
])
def test_each_nis2_stage_says_what_article_23_4_asks(example_breach, dpo, pdf, document, headings):
    produced = reports.read_version(reports.generate(example_breach, user=dpo, document=document))
    text = pdf.text(produced)
    assert -1 not in pdf.in_order(text, ["1. Entité", "2. Échéances NIS2 (art. 23(4))", *headings])
    assert ["Incident soupçonné d'être causé par des actes illicites ou malveillants",
            "Oui (cause : acte malveillant) — Acte externe malveillant"] in pdf.rows(produced)
    # The three NIS2 clocks: early warning sent on time (24 Oct 09:30 < 24 Oct 14:20).
    assert "Échéance 24 octobre 2026 à 14 h 20 Envoyé le 24 octobre 2026 à 09 h 30 Respect du délai Fait dans le " \
           "délai." in text
    if document == "nis2_early_warning":
        assert "Rapport final (art. 23(4)(d))" not in text


def test_nis2_is_refused_outside_its_scope(example_breach, establishment, dpo):
    establishment.nis2_in_scope = False
    db.session.commit()
    with pytest.raises(reports.ReportError, match="not in NIS2 scope"):
        reports.generate(example_breach, user=dpo, document="nis2_notification")
    assert [entry.document.code for entry in reports.panel(example_breach)] == ["cnil", "ars"]


def test_versions_are_numbered_per_document(example_breach, dpo):
    numbers = [(v.document, v.number) for v in (
        reports.generate(example_breach, user=dpo, document="cnil"),
        reports.generate(example_breach, user=dpo, document="ars"),
        reports.generate(example_breach, user=dpo, document="ars"),
        reports.generate(example_breach, user=dpo, document="cnil"))]
    assert numbers == [("cnil", 1), ("ars", 1), ("ars", 2), ("cnil", 2)]
