"""Re-assessment when the facts change in the wizard: a new assessment in the history, the breach saved once, and
the DPO's earlier override kept but flagged when the computed verdict moved."""

from notifier.audit.models import AuditEntry
from notifier.breaches import services as breaches
from notifier.extensions import db
from notifier.risk import services as service


def save(breach, user, step, **values):
    result = breaches.save_step(breach, step, values, user=user, expected_version=breach.version)
    assert result.ok, result.errors
    return result


def assessed_breach(breach, dpo):
    """A breach of 40 patients' identities and locations sent to a known recipient, assessed once by the DPO:
    SE = 2 x 1 + 0.25, medium, notify the CNIL but no letters."""
    save(breach, dpo, "people", people_categories=["patients"], people_count="40")
    save(breach, dpo, "data", data_categories=["civil_status", "location"])
    save(breach, dpo, "nature", natures=["confidentiality"], confidentiality_subtypes=["disclosure"])
    service.assess_breach(breach, service.facts_from_breach(breach), dpo)
    assert service.latest_assessment(breach).severity == "medium"
    return breach


def test_nothing_is_assessed_before_the_dpo_first_assesses(breach, dpo):
    save(breach, dpo, "people", people_categories=["patients", "minors"], people_count="40")
    assert service.history(breach) == []
    assert service.decision(breach) is None


def test_adding_minors_in_the_people_step_adds_a_reassessment(breach, dpo):
    assessed_breach(breach, dpo)
    first = service.latest_assessment(breach)
    save(breach, dpo, "people", people_categories=["patients", "minors"], people_count="40")
    latest, previous = service.history(breach)[:2]
    assert previous.id == first.id and len(service.history(breach)) == 2
    assert (latest.trigger, latest.created_by) == ("facts_changed", None)
    assert latest.facts["people_categories"] == ["patients", "minors"]
    assert "vulnerable_people" in latest.result["rules_applied"]
    assert latest.severity_score == first.severity_score + 1  # DPC +1, EI 1
    assert breach.sections["risk_facts"]["people_categories"] == ["patients", "minors"]
    entry = db.session.query(AuditEntry).filter_by(action="risk.assess").order_by(AuditEntry.id.desc()).first()
    assert entry.user_email == dpo.email and entry.details["trigger"] == "facts_changed"
    assert entry.details["fields"] == ["people_categories"]


def test_adding_health_data_in_the_data_step_adds_a_reassessment(breach, dpo):
    assessed_breach(breach, dpo)
    assert not service.latest_assessment(breach).inform_subjects
    save(breach, dpo, "data", data_categories=["civil_status", "location", "health"])
    latest = service.latest_assessment(breach)
    assert latest.trigger == "facts_changed"
    assert latest.result["parts"]["dpc"]["data_type"] == "health"
    assert latest.severity == "very_high" and latest.inform_subjects  # 4 x 1 + 0.25


def test_a_change_that_leaves_the_facts_alone_adds_nothing(breach, dpo):
    assessed_breach(breach, dpo)
    save(breach, dpo, "nature", natures=["confidentiality"], confidentiality_subtypes=["disclosure"],
         nature_details="Courrier envoyé au mauvais patient.")
    save(breach, dpo, "measures", measures_taken="Courrier récupéré.")
    assert len(service.history(breach)) == 1


def test_a_change_of_the_facts_that_leaves_the_result_alone_adds_nothing(breach, dpo):
    assessed_breach(breach, dpo)
    save(breach, dpo, "people", people_categories=["patients"], people_count="45")
    assert len(service.history(breach)) == 1
    assert breach.sections["risk_facts"]["people_count"] == 40  # the facts last assessed
    assert service.facts_from_breach(breach)["people_count"] == 45  # offered at the next assessment


def test_a_reassessment_saves_the_breach_once(breach, dpo):
    assessed_breach(breach, dpo)
    version = breach.version
    save(breach, dpo, "people", people_categories=["patients", "minors"], people_count="40")
    assert len(service.history(breach)) == 2
    db.session.expire_all()
    assert breach.version == version + 1


def test_an_override_stays_in_force_without_review_when_the_verdict_is_unchanged(breach, dpo):
    assessed_breach(breach, dpo)
    service.override(service.latest_assessment(breach), dpo, None, True,
                     "Patients suivis en psychiatrie : nous préférons les informer.")
    save(breach, dpo, "nature", natures=["confidentiality", "integrity"], confidentiality_subtypes=["disclosure"])
    decision = service.decision(breach)
    assert decision["assessment"].trigger == "facts_changed" and decision["severity_score"] == 2.5
    assert decision["inform_subjects"] is True and decision["override"]["to_review"] is False


def test_an_override_is_flagged_for_review_when_the_computed_verdict_changes(breach, dpo):
    assessed_breach(breach, dpo)
    first = service.latest_assessment(breach)
    assert first.notify_authority and not first.inform_subjects
    service.override(first, dpo, False, None, "Le destinataire est un confrère tenu au secret médical.")
    save(breach, dpo, "data", data_categories=["civil_status", "location", "health"])
    decision = service.decision(breach)
    assert decision["computed"]["inform_subjects"] is True
    assert decision["to_review"] and decision["override"]["assessment_id"] == first.id
    assert decision["notify_authority"] is False  # still the DPO's decision until reviewed
    assert any("À revoir" in reason for reason in decision["reasons"]("fr"))
    assert any("To review" in reason for reason in decision["reasons"]("en"))
