"""The CNIL notification report (GDPR art. 33): content in the order of the CNIL form, art. 33(3) complete, deadline
and delay, risk assessment, PDF/A-3 with the breach's JSON inside, fonts embedded, nothing fetched."""

import hashlib
import json

import pytest

from notifier.breaches import services as breaches
from notifier.breaches.rules import form
from notifier.breaches.rules.vocabulary import DATA_CATEGORIES, NATURES, PEOPLE_CATEGORIES
from notifier.core.i18n import translate
from notifier.documents.wording import shown
from notifier.reports import services as reports


def generate(breach, user, **options):
    version = reports.generate(breach, user=user, **options)
    return version, reports.read_version(version)


def test_the_report_holds_every_art_33_3_element_and_the_form_sections_in_order(example_breach, dpo, pdf):
    _version, document = generate(example_breach, dpo)
    text = pdf.text(document)

    titles = [f"{number}. {shown(step.title, 'fr')}" for number, step in enumerate(form.STEPS, 1)]
    assert -1 not in pdf.in_order(text, titles), titles

    # GDPR art. 33(3): each element is listed as given, and its answers are printed.
    for _code, label, _requirements in form.ART_33_3_ELEMENTS:
        assert pdf.normalise(f"{shown(label, 'fr')} — Renseigné") in text, label
    assert "À compléter" not in text
    expected_answers = [
        shown(NATURES["confidentiality"], "fr"),                          # (a) nature
        shown(PEOPLE_CATEGORIES["patients"], "fr"), "758 912",            # (a) people, approximate number
        shown(DATA_CATEGORIES["health"], "fr"), "2 431 077",              # (a) records
        "Claire Martin", "dpo@clinique-rhone-saone.fr", "04 72 10 20 30",  # (b) contact point
        "Divulgation du secret médical",                                  # (c) likely consequences
        "Compte de service désactivé", "Audit de sécurité de l'interface",  # (d) measures taken and proposed
    ]
    for answer in expected_answers:
        assert answer in text, answer


def test_the_report_states_the_deadline_the_sending_and_the_risk_assessment(example_breach, dpo, pdf):
    _version, document = generate(example_breach, dpo)
    pages = pdf.pages(document)
    text = " ".join(pages)
    # Worked example of docs/deadlines.md: aware Fri 23 Oct 2026 14:20 Paris -> deadline Mon 26 Oct 13:20 (CET).
    assert "Prise de connaissance 23 octobre 2026 à 14 h 20" in text
    assert "Échéance 26 octobre 2026 à 13 h 20" in text
    assert "Envoyé le 25 octobre 2026 à 18 h 40" in text
    assert "Fait dans le délai." in text
    assert "NOT-2026-0154321" in text
    # The assessment recorded with the breach, scored by the ENISA method, with its reasons.
    assert "Évaluation du risque" in text and "Risque élevé" in text
    assert "Gravité ENISA (2013) : SE = DPC 4 × EI 1 + CB 1 = 5" in text
    # Marking, page numbers and generation time on every page.
    for number, page in enumerate(pages, 1):
        assert "CONFIDENTIEL" in page
        assert f"{number} / {len(pages)}" in page
        assert "Généré le" in page


def test_a_late_notification_gives_the_delay_and_its_reasons(dpo, pdf, make_example):
    def late(doc):
        doc["sections"]["cnil_submission"].update(
            cnil_sent_at="2026-10-27T09:00:00+01:00",
            delay_reasons="Analyse forensique nécessaire pour confirmer l'exfiltration.")

    breach = make_example(late)
    _version, document = generate(breach, dpo)
    text = pdf.text(document)
    assert "Fait en retard de 19 h 40 min." in text  # 26 Oct 13:20 -> 27 Oct 09:00
    assert "Motifs du retard Analyse forensique nécessaire pour confirmer l'exfiltration." in text


def test_an_override_of_the_assessment_is_shown_with_its_justification(dpo, pdf, make_example):
    def overridden(doc):
        doc["risk_override"] = {"inform_subjects": False, "justification": "Décision validée par la direction."}

    _version, document = generate(make_example(overridden), dpo)
    text = pdf.text(document)
    assert "Décision du DPO s'écartant de l'évaluation" in text
    assert "Justification Décision validée par la direction." in text


def test_a_breach_without_assessment_still_gets_its_report(breach, dpo, pdf):
    _version, document = generate(breach, dpo)
    text = pdf.text(document)
    assert "Aucune évaluation du risque n'est enregistrée" in text
    assert "Date de prise de connaissance non renseignée" in text
    # An initial notification may be incomplete (art. 33(4)): the missing elements are named.
    assert "Nature de la violation — À compléter" in text


def test_the_report_is_pdf_a_3b_with_metadata_and_language(example_breach, dpo, pdf):
    _version, document = generate(example_breach, dpo)
    with pdf.open(document) as opened:
        with opened.open_metadata() as xmp:
            assert xmp["pdfaid:part"] == "3"
            assert xmp["pdfaid:conformance"] == "B"
            assert example_breach.reference in xmp["dc:title"]
        info = opened.docinfo
        assert str(info["/Title"]) == f"Notification à la CNIL — {example_breach.reference} — v1"
        assert str(info["/Author"]) == example_breach.establishment.name
        assert example_breach.reference in str(info["/Subject"])
        assert str(opened.Root.Lang) == "fr"
        assert "/OutputIntents" in opened.Root


def test_the_breach_json_is_embedded_and_round_trips(example_breach, dpo, pdf):
    _version, document = generate(example_breach, dpo)
    with pdf.open(document) as opened:
        assert list(opened.attachments) == [f"{example_breach.reference}.json"]
        embedded = json.loads(opened.attachments[f"{example_breach.reference}.json"].get_file().read_bytes())
        relationships = [str(spec.get("/AFRelationship")) for spec in opened.Root.AF]
    assert "/Data" in relationships
    assert embedded["sections"] == breaches.export_document(example_breach)["sections"]
    assert embedded["risk_facts"] == example_breach.sections["risk_facts"]
    # Imported back, the embedded document gives the same breach record.
    copy = breaches.import_document(embedded, dpo, now=pdf.import_now)
    assert breaches.export_document(copy)["sections"] == embedded["sections"]


def test_every_font_is_embedded(example_breach, dpo, pdf):
    _version, document = generate(example_breach, dpo)
    seen = 0
    with pdf.open(document) as opened:
        for page in opened.pages:
            for _name, font in page.Resources.Font.items():
                descendants = font.get("/DescendantFonts") or [font]
                for part in descendants:
                    descriptor = part.FontDescriptor
                    assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), font
                    seen += 1
    assert seen > 0


HOSTILE = ('<img src="http://127.0.0.1:9/pixel.png"><link rel="stylesheet" href="file:///etc/passwd">'
           '<b>gras</b> voir file:///etc/hostname et http://127.0.0.1:9/x')


def test_html_and_urls_in_fields_are_printed_as_text_and_never_fetched(dpo, monkeypatch, pdf, make_example):
    from notifier.documents import render

    asked = []
    original = render.LettersOnlyFetcher.fetch

    def spy(self, url, headers=None):
        asked.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(render.LettersOnlyFetcher, "fetch", spy)

    def hostile(doc):
        doc["sections"]["nature"]["nature_details"] = HOSTILE
        doc["sections"]["notification"]["title"] = '<script>alert(1)</script> "titre"'

    _version, document = generate(make_example(hostile), dpo)
    text = pdf.text(document)
    assert pdf.squash(HOSTILE) in pdf.squash(text)
    assert '<script>alert(1)</script> "titre"' in text
    assert "root:" not in text
    assert all(url.startswith(render.LETTERS_DIR.as_uri()) for url in asked), asked


def test_the_report_in_english(example_breach, dpo, pdf):
    version, document = generate(example_breach, dpo, lang="en")
    text = pdf.text(document)
    assert version.lang == "en" and version.filename.endswith("-en.pdf")
    assert "CONFIDENTIAL" in text and "Notification to the CNIL" in text
    titles = [f"{number}. {translate(step.title, 'en')}" for number, step in enumerate(form.STEPS, 1)]
    assert -1 not in pdf.in_order(text, titles)
    assert "Sent on 25 October 2026 at 18:40" in text and "758,912" in text
    with pdf.open(document) as opened:
        assert str(opened.Root.Lang) == "en"


def test_each_version_is_numbered_stored_under_a_random_name_and_hashed(example_breach, dpo, app):
    first, first_pdf = generate(example_breach, dpo, kind="initial")
    second, second_pdf = generate(example_breach, dpo, kind="initial")
    assert (first.number, second.number) == (1, 2)
    assert first.kind == second.kind == "initial"
    assert first.sha256 == hashlib.sha256(first_pdf).hexdigest() and first.size == len(first_pdf)
    assert first.generated_by_id == dpo.id and first.generated_at is not None
    for version in (first, second):
        assert example_breach.reference not in version.storage_name
        assert len(version.storage_name) == len("0" * 32 + ".pdf")
        path = reports.storage_path(version.storage_name)
        assert path.is_file() and oct(path.stat().st_mode & 0o777) == "0o600"
    assert first.storage_name != second.storage_name


def test_a_complementary_report_lists_what_changed(example_breach, dpo, pdf):
    initial, _pdf = generate(example_breach, dpo, kind="initial")
    result = breaches.save_step(example_breach, "people", {
        "people_categories": ["patients", "minors", "vulnerable"], "people_count": "760000",
        "people_count_approximate": "y"}, user=dpo, expected_version=example_breach.version)
    assert result.ok, result.errors
    result = breaches.save_step(example_breach, "measures", {
        "measures_taken": "Mots de passe réinitialisés ; <b>VPN</b> coupé.",
        "measures_planned": example_breach.sections["measures"]["measures_planned"]},
        user=dpo, expected_version=example_breach.version)
    assert result.ok, result.errors

    complementary, document = generate(example_breach, dpo, kind="complementary")
    assert (complementary.number, complementary.kind) == (2, "complementary")
    text = pdf.text(document)
    assert "Version 2 · Version complémentaire" in text
    assert "Modifications depuis la version 1" in text
    rows = pdf.rows(document)
    header = rows.index(["Section", "Champ", "Ancienne valeur", "Nouvelle valeur"])
    changes = []
    for row in rows[header + 1:]:
        if len(row) != 4:
            break
        changes.append(row)
    assert len(changes) == 3  # the fields that changed, and no other
    assert changes[0] == ["Personnes concernées", "Nombre de personnes concernées",
                          "758 912 (tranche CNIL : Plus de 5 000)", "760 000 (tranche CNIL : Plus de 5 000)"]
    assert changes[1] == ["Personnes concernées", "Ce nombre est approximatif", "Non", "Oui"]
    assert changes[2][:2] == ["Mesures", "Mesures prises pour remédier à la violation et en atténuer les effets"]
    assert changes[2][2].startswith("Compte de service désactivé")
    assert changes[2][3] == "Mots de passe réinitialisés ; <b>VPN</b> coupé."


def test_changes_between_two_documents_field_by_field(example_breach):
    old = breaches.export_document(example_breach)
    new = json.loads(json.dumps(old))
    new["sections"]["origin"]["cause"] = "internal_malicious"
    new["sections"]["dates"]["ended_at"] = None
    new["sections"]["information"]["information_channels"] = ["letter"]
    new["risk_facts"]["malicious"] = False
    changes = reports.changes_between(old, new, "fr")
    assert [(c.section, c.label, c.old, c.new) for c in changes] == [
        ("Dates et circonstances", "Fin de la violation", "23 octobre 2026 à 11\u00a0h\u00a030", ""),
        ("Origine et cause", "Cause de l'incident", "Acte externe malveillant", "Acte interne malveillant"),
        ("Information des personnes", "Moyens utilisés", "Courrier postal, Portail patient, Communication publique",
         "Courrier postal"),
        ("Évaluation du risque : faits", "malicious", "Oui", "Non"),
    ]
    assert reports.changes_between(old, json.loads(json.dumps(old)), "fr") == []


def test_a_complementary_report_needs_an_earlier_version(example_breach, dpo):
    with pytest.raises(reports.ReportError, match="complementary version needs a previous one"):
        reports.generate(example_breach, user=dpo, kind="complementary")


def test_the_default_kind_is_complementary_once_the_notification_was_sent(example_breach, breach, dpo):
    assert reports.generate(example_breach, user=dpo).kind == "initial"
    assert reports.generate(example_breach, user=dpo).kind == "complementary"  # the example was sent on 25 Oct
    assert reports.generate(breach, user=dpo).kind == "initial"
    assert reports.generate(breach, user=dpo).kind == "initial"  # not sent yet: a corrected initial version


def test_bad_requests_are_refused_with_a_message(example_breach, dpo):
    for options, message in (({"document": "cerfa"}, "unknown document"), ({"kind": "final"}, "unknown kind"),
                             ({"lang": "de"}, "unknown language")):
        with pytest.raises(reports.ReportError, match=message):
            reports.generate(example_breach, user=dpo, **options)
