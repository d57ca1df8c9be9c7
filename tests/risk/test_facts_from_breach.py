"""The facts of the risk assessment, read from the breach record: what the wizard establishes, what only the DPO
answers, and the DPO's answers winning over the wizard."""

import pytest

from notifier.breaches import services as breaches
from notifier.risk import services as service
from notifier.risk.models import RiskAssessment
from notifier.risk.rules.engine import assess, validate_facts
from notifier.risk.rules.facts import facts_template


def save(breach, user, step, **values):
    result = breaches.save_step(breach, step, values, user=user, expected_version=breach.version)
    assert result.ok, result.errors
    return result


def test_the_example_breach_prefills_a_very_high_risk_to_notify_and_tell(example_breach):
    facts = service.facts_from_breach(example_breach)
    assert facts["data_types"] == ["civil_status", "contact", "health"]
    assert facts["people_count"] == 758912
    assert facts["people_categories"] == ["patients", "minors", "vulnerable"]
    assert facts["malicious"] is True  # cause: external_malicious
    assert facts["confidentiality"] == "unknown_recipients"  # exfiltration and publication
    assert (facts["integrity"], facts["availability"]) == ("none", "none")
    result = assess(validate_facts(facts), lang="fr")
    assert result.severity in ("very_high", "high") and result.risk_level == "high"
    assert result.notify_authority and result.inform_subjects


def test_importing_the_example_assesses_it_once_automatically(example_breach):
    (row,) = service.history(example_breach)
    assert (row.trigger, row.created_by) == ("import", None)
    assert (row.severity, row.severity_score) == ("very_high", 5.0)
    assert row.notify_authority and row.inform_subjects
    assert row.result["parts"]["dpc"]["data_type"] == "health"
    assert {reason["code"] for reason in row.result["reasons_i18n"]} >= {"enisa_score", "inform_subjects"}
    assert all(reason["fr"] and reason["en"] for reason in row.result["reasons_i18n"])
    decision = service.decision(example_breach)
    assert decision["notify_authority"] and decision["inform_subjects"] and decision["override"] is None


def test_a_breach_without_answers_starts_from_the_cautious_template(breach):
    assert service.facts_from_breach(breach) == facts_template()


def test_the_wizard_vocabulary_is_mapped_onto_the_risk_facts(breach, dpo):
    save(breach, dpo, "people", people_categories=["patients", "military", "not_determined"], people_count="12")
    save(breach, dpo, "data", data_categories=["nir", "other"])
    save(breach, dpo, "origin", cause="internal_accidental")
    save(breach, dpo, "nature", natures=["confidentiality", "availability"],
         confidentiality_subtypes=["disclosure"], availability_subtypes=["destruction"])
    save(breach, dpo, "information", art_34_3_exception="34.3.c")
    facts = service.facts_from_breach(breach)
    assert facts["people_categories"] == ["patients", "other"]  # military is "other"; not_determined says nothing
    assert facts["people_count"] == 12
    assert facts["data_types"] == ["nir"]  # "other" has no ENISA category
    assert facts["malicious"] is False
    assert facts["confidentiality"] == "known_recipients"
    assert facts["integrity"] == "none"
    assert facts["availability"] == "permanent"
    assert facts["disproportionate_effort"] is True and facts["unintelligible"] is False
    validate_facts(facts)


def test_an_unknown_cause_leaves_the_malicious_fact_to_the_dpo(breach, dpo):
    save(breach, dpo, "origin", cause="unknown")
    assert "malicious" not in service.facts_derived_from_sections(breach.sections)


def test_a_dpo_answer_that_departs_from_the_wizard_wins_over_later_changes(example_breach, dpo):
    facts = service.facts_from_breach(example_breach)
    service.assess_breach(example_breach, {**facts, "confidentiality": "known_recipients",
                                           "data_types": [*facts["data_types"], "payment"]}, dpo)
    save(example_breach, dpo, "data", data_categories=["civil_status", "contact", "health", "nir"],
         records_count="2431077", records_count_approximate="y",
         data_details=example_breach.sections["data"]["data_details"])
    save(example_breach, dpo, "nature", natures=["confidentiality", "availability"],
         confidentiality_subtypes=["exfiltration", "publication"], availability_subtypes=["destruction"])
    facts = service.facts_from_breach(example_breach)
    assert facts["confidentiality"] == "known_recipients"  # the DPO's answer, not the wizard's publication
    assert facts["availability"] == "permanent"  # the wizard's, where the DPO said nothing else
    assert facts["data_types"] == ["civil_status", "contact", "health", "nir", "payment"]  # both sources kept
    latest = service.latest_assessment(example_breach)
    assert latest.trigger == "facts_changed" and latest.facts["confidentiality"] == "known_recipients"
    assert example_breach.sections["risk_facts"]["data_types"] == facts["data_types"]


def test_an_answer_equal_to_the_wizard_follows_the_wizard_again(example_breach, dpo):
    facts = service.facts_from_breach(example_breach)
    service.assess_breach(example_breach, {**facts, "people_count": 10}, dpo)
    assert service.facts_from_breach(example_breach)["people_count"] == 10
    service.assess_breach(example_breach, {**facts, "people_count": 758912}, dpo)
    save(example_breach, dpo, "people", people_categories=["patients", "minors", "vulnerable"],
         people_count="760000")
    assert service.facts_from_breach(example_breach)["people_count"] == 760000


def test_a_default_kept_as_shown_is_no_answer_of_the_dpo(breach, dpo):
    service.assess_breach(breach, service.facts_from_breach(breach), dpo)  # template: 1 person, nothing derived
    save(breach, dpo, "people", people_categories=["patients"], people_count="400")
    assert service.facts_from_breach(breach)["people_count"] == 400


def test_the_dpo_only_facts_come_from_the_stored_answers(example_breach, dpo):
    facts = service.facts_from_breach(example_breach)
    service.assess_breach(example_breach, {**facts, "care_disrupted": True, "availability_hours": 30.0,
                                           "x_ticket": "INC-42"}, dpo)
    facts = service.facts_from_breach(example_breach)
    assert facts["care_disrupted"] is True and facts["availability_hours"] == 30.0
    assert example_breach.sections["risk_facts"]["x_ticket"] == "INC-42"  # the DPO's own fields are kept
    assert service.latest_assessment(example_breach).facts["care_disrupted"] is True


def test_invalid_facts_store_nothing(example_breach, dpo):
    from notifier.extensions import db
    from notifier.risk.rules.facts import RiskFactsError

    before = dict(example_breach.sections["risk_facts"])
    facts = service.facts_from_breach(example_breach)
    with pytest.raises(RiskFactsError) as refused:
        service.assess_breach(example_breach, {**facts, "identifiability": "total"}, dpo)
    assert refused.value.problems == [
        ("identifiability", "unknown code 'total' (one of: negligible, limited, significant, maximum)")]
    db.session.rollback()
    assert db.session.query(RiskAssessment).count() == 1  # the import's
    assert example_breach.sections["risk_facts"] == before


def test_a_brief_outage_is_dated_from_the_record_but_its_lack_of_consequence_is_only_the_dpos_word(breach, dpo):
    """WP250 rev.01 Annex B example iii in a hospital: the record dates the outage (start to end, 20 minutes); that
    the patients suffered no consequence is never presumed (WP250 section I.B.2), so it is notified until the DPO
    states it, and then only registered."""
    save(breach, dpo, "nature", natures=["availability"], availability_subtypes=["temporary_outage"])
    save(breach, dpo, "dates", started_at="2026-11-02T10:00", discovered_at="2026-11-02T10:05",
         aware_at="2026-11-02T10:10", ended_at="2026-11-02T10:20")
    facts = service.facts_from_breach(breach)
    assert (facts["availability"], facts["availability_hours"]) == ("temporary", 0.33)
    assert facts["no_consequence_for_people"] is False and "health" in facts["data_types"]
    assert assess(validate_facts(facts)).notify_authority
    service.assess_breach(breach, {**facts, "no_consequence_for_people": True}, dpo)
    latest = service.latest_assessment(breach)
    assert (latest.notify_authority, latest.inform_subjects) == (False, False)
    assert "availability_without_consequence" in latest.result["rules_applied"]
    assert service.facts_from_breach(breach)["no_consequence_for_people"] is True  # the DPO's answer is kept


def test_a_consequence_on_the_record_says_the_outage_was_not_without_consequence(breach, dpo):
    save(breach, dpo, "consequences", consequence_natures=["unavailable"])
    assert service.facts_derived_from_sections(breach.sections)["no_consequence_for_people"] is False
    assert "availability_hours" not in service.facts_derived_from_sections(breach.sections)  # no availability loss
