"""Issue 15's fields of the CNIL form and the EDPB common template (draft): their rules in the wizard and the JSON
document, and the migration that keeps the breaches stored before them valid."""

import copy
import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask_migrate import upgrade
from sqlalchemy import inspect

from notifier.breaches.rules import form, vocabulary
from notifier.extensions import db
from tests.test_migrations import migrated_app  # noqa: F401  (an app on an empty SQLite or PostgreSQL database)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def example():
    return json.loads((ROOT / "docs/examples/breach.json").read_text(encoding="utf-8"))


def migration():
    path = next((ROOT / "migrations" / "versions").glob("fcd1c3142d8a_*.py"))
    spec = importlib.util.spec_from_file_location("legal_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def old_example():
    """The example as written before issue 15's fields existed."""
    doc = example()
    for step, fields in migration().NEW_FIELDS.items():
        for name in fields:
            doc["sections"][step].pop(name, None)
    return doc


def problems(doc) -> dict[str, str]:
    with pytest.raises(form.BreachDocumentError) as caught:
        form.read_document(doc, now=NOW, lang="fr")
    return dict(caught.value.problems)


def test_a_document_of_before_the_new_fields_still_imports_with_them_empty():
    sections = form.read_document(old_example(), now=NOW)
    assert sections["contacts"]["filer_name"] is None and sections["contacts"]["joint_controllers"] is False
    assert sections["measures"]["security_measures_before"] == []
    assert sections["other_bodies"]["anssi_reported_at"] is None


@pytest.mark.parametrize(("step", "field", "choices"), [
    ("notification", "notification_state", ["complete", "incomplete", "withdrawn"]),
    ("nature", "breach_certainty", ["established", "suspected"]),
    ("consequences", "risk_method", ["enisa", "other"]),
])
def test_the_edpb_template_choices_are_offered(step, field, choices):
    assert list(form.FIELD_BY_NAME[field].options) == choices
    assert field in [f.name for f in form.STEP_BY_CODE[step].fields]


def test_not_yet_known_is_a_data_category():
    doc = example()
    doc["sections"]["data"]["data_categories"] = ["not_yet_known"]
    assert form.read_document(doc, now=NOW)["data"]["data_categories"] == ["not_yet_known"]
    assert vocabulary.label(vocabulary.DATA_CATEGORIES, "not_yet_known", "en") == "Not yet known"


def test_a_withdrawn_notification_must_give_its_reason():
    doc = example()
    doc["sections"]["notification"]["notification_state"] = "withdrawn"
    assert problems(doc) == {"sections/notification/withdrawal_reason": "Une notification retirée doit dire pourquoi"}
    doc["sections"]["notification"]["withdrawal_reason"] = "Aucune donnée personnelle n'était en cause."
    assert form.read_document(doc, now=NOW)["notification"]["notification_state"] == "withdrawn"


def test_another_risk_method_must_be_named():
    doc = example()
    doc["sections"]["consequences"]["risk_method"] = "other"
    assert "sections/consequences/risk_method_name" in problems(doc)
    doc["sections"]["consequences"].update(risk_method_name="EBIOS RM", risk_method_result="Gravité 3 sur 4")
    assert form.read_document(doc, now=NOW)["consequences"]["risk_method_name"] == "EBIOS RM"


def test_the_processor_alert_is_a_structured_instant_in_the_past():
    doc = example()
    doc["sections"]["systems"].update(processor_name="Infogérance Rhône", processor_hds="certified",
                                      processor_alerted_at="2026-10-23T09:45")
    sections = form.read_document(copy.deepcopy(doc), now=NOW)
    assert sections["systems"]["processor_alerted_at"] == "2026-10-23T07:45:00+00:00"  # Paris summer time
    doc["sections"]["systems"]["processor_alerted_at"] = "2027-01-01T09:45"
    assert problems(doc) == {"sections/systems/processor_alerted_at": "Cette date est dans le futur"}


def test_the_date_set_for_an_intermediate_report_may_lie_ahead_but_not_before_the_request():
    doc = example()
    doc["sections"]["other_bodies"].update(nis2_intermediate_requested_at="2026-11-20T10:00",
                                           nis2_intermediate_due_at="2026-12-15T10:00")
    assert form.read_document(copy.deepcopy(doc), now=NOW)["other_bodies"]["nis2_intermediate_due_at"]
    doc["sections"]["other_bodies"]["nis2_intermediate_due_at"] = "2026-11-19T10:00"
    assert problems(doc) == {"sections/other_bodies/nis2_intermediate_due_at": "Antérieure à la demande"}


def test_the_migration_adds_every_new_field_and_only_those():
    module = migration()
    new = {(step, name) for step, fields in module.NEW_FIELDS.items() for name in fields}
    for step, name in new:
        assert name in [f.name for f in form.STEP_BY_CODE[step].fields], (step, name)
    defaults = form.empty_sections()
    assert all(module.NEW_FIELDS[step][name] == defaults[step][name] for step, name in new)
    old = old_example()["sections"]
    module._add_fields(old)
    assert {step: set(values) for step, values in old.items()} == {
        step: set(values) for step, values in defaults.items()}
    module._drop_fields(old)
    assert old == old_example()["sections"]


@pytest.mark.usefixtures("migrated_app")
def test_the_migrated_schema_accepts_the_new_report_documents():
    upgrade()
    checks = {c["name"]: c["sqltext"] for c in inspect(db.engine).get_check_constraints("report_version")}
    assert "nis2_progress_report" in checks["ck_report_version_document"]
    assert "nis1_oes" in {column["name"] for column in inspect(db.engine).get_columns("establishment")}


@pytest.mark.usefixtures("migrated_app")
def test_a_breach_stored_before_the_migration_is_a_valid_document_after_it():
    """The stored row itself, not a dict in memory: a breach saved at the revision before fcd1c3142d8a gets every new
    field empty, and its sections read back through the JSON document's checks unchanged."""
    import sqlalchemy as sa

    from tests.test_migrations import _insert

    upgrade(revision="4138f91bf6bb")
    stored = form.read_document(old_example(), now=NOW)
    for step, fields in migration().NEW_FIELDS.items():
        for name in fields:
            stored[step].pop(name)
    organisation = _insert("organisation", name="Groupe")
    user = _insert("user", organisation_id=organisation, email="dpo@x.test", role="dpo")
    establishment = _insert("establishment", organisation_id=organisation, name="CH")
    breach = _insert("breach", organisation_id=organisation, establishment_id=establishment, reference="V-1",
                     status="draft", sections=stored, created_by_id=user)
    upgrade(revision="fcd1c3142d8a")
    table = sa.Table("breach", sa.MetaData(), autoload_with=db.engine)
    with db.engine.connect() as connection:
        sections = connection.execute(sa.select(table.c.sections).where(table.c.id == breach)).scalar_one()
    sections = sections if isinstance(sections, dict) else json.loads(sections)
    assert {step: set(values) for step, values in sections.items()} == {
        step: set(values) for step, values in form.empty_sections().items()}
    assert sections["measures"]["security_measures_before"] == [] and sections["notification"]["notification_state"] \
        is None
    doc = {**old_example(), "sections": {step: dict(values) for step, values in sections.items()}}
    assert form.read_document(doc, now=NOW) == sections
