"""The breach record's single definition: wizard fields, JSON document and its schema."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from notifier.breaches.rules import form, vocabulary
from notifier.core.i18n import TRANSLATIONS_DIR

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def english(label: str) -> str:
    """The English of a French msgid, as the catalog holds it ("" when it is missing)."""
    with open(TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        message = read_po(handle).get(label)
    return message.string if message else ""


def example():
    return json.loads((ROOT / "docs/examples/breach.json").read_text(encoding="utf-8"))


def test_shipped_json_schema_is_the_generated_one():
    shipped = json.loads((ROOT / "notifier/schemas/breach.schema.json").read_text(encoding="utf-8"))
    assert shipped == form.json_schema(), "run: python -m notifier.breaches.rules.form > notifier/schemas/..."


def test_every_cnil_form_section_has_a_step():
    codes = [step.code for step in form.STEPS]
    assert codes == ["notification", "contacts", "dates", "nature", "origin", "systems", "people", "data",
                     "consequences", "measures", "information", "other_bodies", "cnil_submission"]


def test_every_choice_has_a_french_and_an_english_label():
    for name, choices in vocabulary.VOCABULARIES.items():
        for code, label in choices.items():
            assert code == code.lower().replace(" ", "_"), (name, code)
            assert label and english(label), (name, code)


def test_the_example_document_is_complete_and_valid():
    sections = form.read_document(example(), now=NOW)
    assert form.missing_art_33_3(sections) == []
    assert sections["people"]["people_count"] == 758912
    assert sections["dates"]["aware_at"] == "2026-10-23T12:20:00+00:00"  # 14:20 Paris summer time
    for step in form.STEPS:  # every section answered
        assert any(value not in (None, [], False) for value in sections[step.code].values()), step.code


def test_a_document_with_bad_fields_names_each_path():
    doc = example()
    doc["sections"]["people"]["people_count"] = "many"
    doc["sections"]["nature"]["natures"] = ["confidentiality", "teleportation"]
    doc["sections"]["dates"]["unknown_field"] = 1
    with pytest.raises(form.BreachDocumentError) as caught:
        form.read_document(doc, now=NOW)
    paths = [path for path, _ in caught.value.problems]
    assert "sections/people/people_count" in paths
    assert "sections/nature/natures/1" in paths
    assert "sections/dates" in paths


def test_awareness_before_discovery_is_refused_with_its_path():
    doc = example()
    doc["sections"]["dates"]["aware_at"] = "2026-10-22T10:00:00+02:00"
    with pytest.raises(form.BreachDocumentError) as caught:
        form.read_document(doc, now=NOW)
    assert "sections/dates/aware_at" in [p for p, _ in caught.value.problems]


def test_a_late_notification_without_reasons_is_refused():
    doc = example()
    doc["sections"]["cnil_submission"]["cnil_sent_at"] = "2026-10-27T09:00:00+01:00"
    with pytest.raises(form.BreachDocumentError) as caught:
        form.read_document(doc, now=NOW)
    assert caught.value.problems[0][0] == "sections/cnil_submission/delay_reasons"
    doc["sections"]["cnil_submission"]["delay_reasons"] = "Analyse forensique nécessaire pour confirmer l'exfiltration."
    assert form.read_document(doc, now=NOW)["cnil_submission"]["delay_reasons"]


@pytest.mark.parametrize("typed, stored", [
    ("2026-10-23T14:20", "2026-10-23T12:20:00+00:00"),   # summer time, UTC+2
    ("23/12/2026 09:00", "2026-12-23T08:00:00+00:00"),   # winter time, UTC+1
])
def test_form_times_are_paris_local_times(typed, stored):
    assert form.parse_form_value(form.FIELD_BY_NAME["aware_at"], typed) == stored


def test_a_time_in_the_spring_forward_gap_is_refused():
    with pytest.raises(form.FieldError) as caught:
        form.parse_form_value(form.FIELD_BY_NAME["aware_at"], "2026-03-29T02:30")
    assert "n'existe pas" in caught.value.message("fr")


@pytest.mark.parametrize("field, typed, code", [
    ("people_count", "beaucoup", "not_a_number"),
    ("aware_at", "31/02/2026 10:00", "not_a_datetime"),
    ("information_date", "2026-02-30", "not_a_date"),
    ("cause", "aliens", "unknown_choice"),
    ("title", "x" * 201, "too_long"),
    ("title", "nul\x00byte", "control_chars"),
])
def test_invalid_form_values_get_a_precise_message(field, typed, code):
    with pytest.raises(form.FieldError) as caught:
        form.parse_form_value(form.FIELD_BY_NAME[field], typed)
    assert caught.value.code == code
    assert caught.value.message("fr") and caught.value.message("en")


def test_html_is_kept_as_text_not_interpreted():
    value = form.parse_form_value(form.FIELD_BY_NAME["nature_details"], "<script>alert(1)</script>")
    assert value == "<script>alert(1)</script>"  # escaped at display time by Jinja, never stripped silently


def test_missing_art_33_3_elements_are_listed():
    missing = [code for code, _ in form.missing_art_33_3(form.empty_sections())]
    assert missing == ["33.3.a_nature", "33.3.a_people", "33.3.a_records", "33.3.b_contact",
                       "33.3.c_consequences", "33.3.d_measures"]


def test_other_features_check_their_parts_of_the_document_once_it_has_the_schemas_shape():
    doc = example()
    seen = []

    def risk_check(checked):
        seen.append(checked)
        return [("risk_facts/identifiability", "not one of the choices")]

    with pytest.raises(form.BreachDocumentError) as caught:
        form.read_document(doc, now=NOW, other_checks=risk_check)
    assert seen == [doc]
    assert ("risk_facts/identifiability", "not one of the choices") in caught.value.problems
