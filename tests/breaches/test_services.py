"""Breach use cases: steps saved with their history, nothing lost on invalid input, JSON round trip, clocks."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from notifier.breaches import services as service
from notifier.breaches.models import BreachChange
from notifier.breaches.rules.form import BreachDocumentError
from notifier.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def example():
    return json.loads((ROOT / "docs/examples/breach.json").read_text(encoding="utf-8"))


def test_a_new_breach_is_a_draft_with_contacts_from_the_establishment(breach):
    assert breach.status == "draft"
    assert breach.reference.startswith("VIO-")
    assert breach.sections["contacts"]["contact_email"] == "dpo@lilas.test"


def test_saving_a_step_records_each_changed_field(breach, dpo):
    result = service.save_step(breach, "people", {"people_categories": ["patients", "minors"], "people_count": "1 200"},
                               user=dpo, expected_version=breach.version)
    assert result.ok
    assert breach.sections["people"]["people_count"] == 1200
    changes = db.session.query(BreachChange).filter_by(breach_id=breach.id).all()
    assert sorted((c.field, c.old_value, c.new_value, c.user_id) for c in changes) == [
        ("people_categories", [], ["patients", "minors"], dpo.id),
        ("people_count", None, 1200, dpo.id),
    ]


def test_an_invalid_step_changes_nothing_already_saved(breach, dpo):
    service.save_step(breach, "people", {"people_count": "12"}, user=dpo, expected_version=breach.version)
    result = service.save_step(breach, "people", {"people_count": "douze", "people_categories": ["patients"]},
                               user=dpo, expected_version=breach.version)
    assert not result.ok and "people_count" in result.errors
    db.session.expire_all()
    assert breach.sections["people"] == {"people_categories": [], "people_count": 12,
                                         "people_count_approximate": False}


def test_a_stale_version_is_refused(breach, dpo):
    opened_version = breach.version
    service.save_step(breach, "people", {"people_count": "12"}, user=dpo, expected_version=opened_version)
    with pytest.raises(service.StaleBreachError):
        service.save_step(breach, "people", {"people_count": "13"}, user=dpo, expected_version=opened_version)


def test_the_cnil_clock_starts_at_awareness(breach, dpo):
    service.save_step(breach, "dates", {"aware_at": "2026-10-23T14:20"}, user=dpo, expected_version=breach.version)
    now = datetime(2026, 10, 24, 12, 0, tzinfo=UTC)
    cnil = next(c for c in service.clocks(breach, now=now) if c.code == "cnil")
    assert cnil.due == datetime(2026, 10, 26, 12, 20, tzinfo=UTC)  # Mon 26 Oct 13:20 Paris (CET)
    assert cnil.status == "pending"
    codes = {c.code for c in service.clocks(breach, now=now)}
    assert {"ars_cert_sante", "nis2_early_warning", "nis2_notification", "nis2_final_report"} <= codes


def test_open_breaches_are_sorted_by_urgency(dpo, establishment):
    late, soon, unknown = (service.create_breach(dpo, establishment) for _ in range(3))
    now = datetime.now(UTC)
    for breach, hours_ago in ((soon, 10), (late, 80)):
        typed = (now - timedelta(hours=hours_ago)).astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")
        service.save_step(breach, "dates", {"aware_at": typed}, user=dpo, expected_version=breach.version)
    assert [b.id for b in service.open_breaches(dpo.organisation_id)] == [late.id, soon.id, unknown.id]


def test_the_dashboard_orders_breaches_by_their_nearest_open_deadline(dpo, establishment):
    """Overdue first (the longest overdue on top), then the soonest, whatever the clock; a breach with no open
    deadline last. A CNIL notification sent does not send a breach down when another duty is overdue."""
    establishment.nis2_in_scope = False  # two clocks only: CNIL (72 h) and ARS / CERT Santé (without delay)
    now = datetime.now(UTC)

    def paris(hours_ago):
        return (now - timedelta(hours=hours_ago)).astimezone(ZoneInfo("Europe/Paris")).strftime("%Y-%m-%dT%H:%M")

    def breach_with(hours_ago, *, ars=False, cnil=False):
        breach = service.create_breach(dpo, establishment)
        if hours_ago is None:
            return breach
        service.save_step(breach, "dates", {"aware_at": paris(hours_ago)}, user=dpo, expected_version=breach.version)
        if ars:
            service.save_step(breach, "other_bodies", {"ars_reported": "y", "ars_reported_at": paris(hours_ago - 1)},
                              user=dpo, expected_version=breach.version)
        if cnil:
            service.save_step(breach, "cnil_submission", {"cnil_sent_at": paris(hours_ago - 2),
                                                          "cnil_reference": "NOT-1"},
                              user=dpo, expected_version=breach.version)
        return breach

    cnil_in_62_hours = breach_with(10, ars=True)
    all_done = breach_with(10, ars=True, cnil=True)
    ars_overdue_5_hours = breach_with(5, cnil=True)  # the CNIL was notified, the ARS report is still to make
    ars_overdue_80_hours = breach_with(80)
    no_awareness = breach_with(None)
    db.session.commit()
    order = [b.id for b in service.open_breaches(dpo.organisation_id, now=now)]
    assert order[:3] == [ars_overdue_80_hours.id, ars_overdue_5_hours.id, cnil_in_62_hours.id]
    assert set(order[3:]) == {all_done.id, no_awareness.id}


def test_json_round_trip_keeps_everything(dpo, establishment):
    doc = example()
    doc["establishment"]["finess"] = establishment.finess
    breach = service.import_document(doc, dpo)
    exported = service.export_document(breach)
    assert exported["sections"] == doc["sections"]
    assert exported["risk_facts"] == doc["risk_facts"]
    again = service.import_document(exported, dpo)
    assert service.export_document(again)["sections"] == doc["sections"]


def test_embedded_risk_facts_are_checked_by_risk_before_anything_is_created(dpo, establishment):
    from notifier.breaches.models import Breach

    doc = example()
    doc["establishment"]["finess"] = establishment.finess
    doc["risk_facts"]["identifiability"] = "total"
    with pytest.raises(BreachDocumentError) as caught:
        service.import_document(doc, dpo)
    assert any(path.startswith("risk_facts/identifiability") for path, _ in caught.value.problems)
    db.session.rollback()
    assert db.session.query(Breach).count() == 0


def test_an_invalid_document_creates_nothing(dpo, establishment):
    from notifier.breaches.models import Breach

    doc = example()
    doc["establishment"]["finess"] = establishment.finess
    doc["sections"]["people"]["people_count"] = -5
    with pytest.raises(BreachDocumentError):
        service.import_document(doc, dpo)
    db.session.rollback()
    assert db.session.query(Breach).count() == 0
