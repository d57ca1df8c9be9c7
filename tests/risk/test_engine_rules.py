"""The risk engine: the ENISA 2013 score, the rules added to it, the art. 33/34 decisions, the facts document."""

import dataclasses
import math

import pytest
from babel.messages.pofile import read_po

from notifier.core.i18n import TRANSLATIONS_DIR
from notifier.risk.rules import engine as risk
from notifier.risk.rules.engine import (
    RiskFacts,
    RiskFactsError,
    assess,
    facts_template,
    facts_to_document,
    severity_band,
    validate_facts,
)


def english(label: str) -> str:
    """The English of a French msgid, as the catalog holds it ("" when it is missing)."""
    with open(TRANSLATIONS_DIR / "en" / "LC_MESSAGES" / "messages.po", "rb") as handle:
        message = read_po(handle).get(label)
    return message.string if message else ""



def facts(**changes) -> RiskFacts:
    """A malicious leak of identified customers' contact details to a known recipient, changed as asked."""
    base = {
        "data_types": ["civil_status", "contact"], "identifiability": "maximum",
        "confidentiality": "known_recipients", "integrity": "none", "availability": "none",
        "availability_hours": None, "malicious": False, "people_count": 10, "people_categories": ["customers"],
        "unintelligible": False, "recipient_trusted": False, "risk_neutralised": False,
        "disproportionate_effort": False, "care_disrupted": False,
    }
    return validate_facts({**base, **changes})


# --- the ENISA score -----------------------------------------------------------------------------------------------

def test_score_is_dpc_times_ei_plus_circumstances():
    assessment = assess(facts(data_types=["health"], identifiability="significant",
                              confidentiality="unknown_recipients", integrity="recoverable",
                              availability="temporary", availability_hours=3, malicious=True))
    assert assessment.severity_score == 4 * 0.75 + 0.5 + 0.25 + 0.25 + 0.5
    assert assessment.dpc.value == 4 and assessment.ei.value == 0.75
    assert [(t.code, t.points) for t in assessment.cb] == [
        ("confidentiality", 0.5), ("integrity", 0.25), ("availability", 0.25), ("malicious", 0.5)]


@pytest.mark.parametrize(("score", "band"), [
    (0.25, "low"), (1.99, "low"), (2, "medium"), (2.99, "medium"), (3, "high"), (3.99, "high"), (4, "very_high"),
    (6, "very_high"),
])
def test_enisa_severity_bands(score, band):
    assert severity_band(score) == band


@pytest.mark.parametrize(("data_type", "dpc"), [
    ("contact", 1), ("credentials", 1), ("location", 2), ("behavioural", 2), ("payment", 3), ("nir", 3),
    ("official_documents", 3), ("offences", 4), ("health", 4), ("sex_life", 4),
])
def test_dpc_is_set_by_the_most_sensitive_data_type(data_type, dpc):
    assessment = assess(facts(data_types=[data_type, "civil_status"]))
    assert (assessment.dpc.base, assessment.dpc.data_type) == (dpc, data_type)


def test_every_data_type_has_an_enisa_category_and_every_code_two_labels():
    assert set(risk.DATA_TYPE_CATEGORY) == set(risk.DATA_TYPES)
    for name, choices in risk.CHOICES.items():
        for code, french in choices.items():
            assert code == code.lower() and french and english(french), (name, code)


def test_choice_lists_hold_the_codes_of_the_facts_document():
    assert list(risk.IDENTIFIABILITY) == ["negligible", "limited", "significant", "maximum"]
    assert list(risk.CONFIDENTIALITY) == ["none", "exposed", "known_recipients", "unknown_recipients"]
    assert list(risk.INTEGRITY) == ["none", "altered_no_misuse", "recoverable", "not_recoverable"]
    assert list(risk.AVAILABILITY) == ["none", "recovered_easily", "temporary", "permanent"]
    assert set(risk.PEOPLE_CATEGORIES) == {"patients", "employees", "customers", "users", "students", "minors",
                                           "vulnerable", "other"}
    assert (risk.DATA_TYPES["health"], english(risk.DATA_TYPES["health"])) == ("Données de santé", "Health data")


# --- context adjustments of the DPC --------------------------------------------------------------------------------

def test_minors_raise_the_dpc_one_step():
    assert assess(facts(people_categories=["minors"])).dpc.value == 2
    assert "vulnerable_people" in assess(facts(people_categories=["patients", "vulnerable"])).rules_applied


def test_more_than_5000_people_raise_the_dpc_one_step():
    assert assess(facts(people_count=5000)).dpc.value == 1
    assert assess(facts(people_count=5001)).dpc.value == 2


def test_dpc_stays_within_one_and_four():
    high = assess(facts(data_types=["health"], people_count=750_000, people_categories=["minors"],
                        dpc_adjustment=1, dpc_adjustment_reason="Psychiatric records."))
    low = assess(facts(dpc_adjustment=-1, dpc_adjustment_reason="The list was already public."))
    assert (high.dpc.value, high.dpc.capped) == (4, True)
    assert (low.dpc.value, low.dpc.capped) == (1, True)


def test_dpo_adjustment_is_shown_with_its_written_reason():
    assessment = assess(facts(data_types=["financial"], dpc_adjustment=-1,
                              dpc_adjustment_reason="Expired cards only."))
    assert assessment.dpc.value == 2
    assert any("Expired cards only." in reason for reason in assessment.to_dict()["reasons"])


def test_data_giving_no_substantial_insight_score_as_simple_data():
    assert assess(facts(data_types=["health"], no_substantial_insight=True)).dpc.value == 1


# --- confidentiality neutralised ----------------------------------------------------------------------------------

def test_unintelligible_data_neutralise_confidentiality_and_identification():
    assessment = assess(facts(data_types=["health"], confidentiality="unknown_recipients", malicious=True,
                              unintelligible=True))
    assert assessment.cb[0].points == 0
    assert (assessment.ei.level, assessment.ei.applied_level) == ("maximum", "negligible")
    assert assessment.severity_score == 4 * 0.25 + 0.5
    assert assessment.exceptions == ("34.3.a",)
    assert any("34(3)(a)" in reason for reason in assessment.to_dict()["reasons"])


def test_encryption_does_not_cover_a_loss_of_availability():
    """The data are still out of reach in the establishment's own files, where the people are identified."""
    assessment = assess(facts(data_types=["health"], confidentiality="unknown_recipients", unintelligible=True,
                              availability="permanent", malicious=True))
    assert assessment.ei.applied_level == "maximum"
    assert assessment.inform_subjects
    assert assessment.exceptions == ("34.3.a",)


def test_trusted_recipient_who_deleted_makes_the_risk_unlikely():
    assessment = assess(facts(data_types=["health"], recipient_trusted=True))
    assert (assessment.notify_authority, assessment.inform_subjects) == (False, False)
    assert "confidentiality_trusted_recipient" in assessment.rules_applied


def test_trusted_recipient_cannot_answer_for_unknown_recipients():
    assessment = assess(facts(data_types=["health"], confidentiality="unknown_recipients", recipient_trusted=True))
    assert assessment.cb[0].points == 0.5
    assert assessment.inform_subjects


# --- rules from the EDPB examples ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("availability", "hours", "notify"), [
    ("temporary", 6, False), ("temporary", 24, True), ("temporary", None, True), ("recovered_easily", None, False),
    ("recovered_easily", 30, False), ("permanent", None, True),
])
def test_availability_lost_for_a_day_or_more_is_notified(availability, hours, notify):
    assessment = assess(facts(confidentiality="none", availability=availability, availability_hours=hours))
    assert assessment.notify_authority is notify
    assert ("prolonged_unavailability" in assessment.rules_applied) is notify
    assert not assessment.inform_subjects


def test_disrupted_care_is_a_high_risk():
    assessment = assess(facts(confidentiality="none", availability="temporary", availability_hours=10,
                              care_disrupted=True))
    assert assessment.severity == "low"
    assert (assessment.risk_level, assessment.notify_authority, assessment.inform_subjects) == ("high", True, True)


def test_breach_discovered_by_the_cnil_is_registered_not_notified():
    assessment = assess(facts(data_types=["health"], discovered_by_authority=True))
    assert (assessment.register, assessment.notify_authority, assessment.inform_subjects) == (True, False, True)
    assert any("449694" in reason for reason in assessment.to_dict()["reasons"])


# --- art. 34(3) ---------------------------------------------------------------------------------------------------

def test_later_measures_lift_the_duty_to_tell_the_people():
    assessment = assess(facts(data_types=["health"], risk_neutralised=True))
    assert (assessment.notify_authority, assessment.inform_subjects) == (True, False)
    assert assessment.exceptions == ("34.3.b",)


def test_later_measures_cannot_undo_care_already_disrupted_so_the_patients_are_told():
    """GDPR art. 34(3)(b) lifts the duty only for a high risk that "is no longer likely to materialise"; postponed
    or cancelled care has materialised (WP250 rev.01 section III; Annex B example viii: records out of reach for 30
    hours, the patients are told). Same facts as EDPB Guidelines 01/2021 case 3 (hospital, ransomware, care
    delayed: tell the patients), with the DPO stating that the measures taken since neutralise the risk."""
    assessment = assess(facts(data_types=["civil_status", "health"], confidentiality="none",
                              availability="temporary", availability_hours=30, malicious=True, people_count=20_000,
                              people_categories=["patients"], care_disrupted=True, risk_neutralised=True),
                        lang="fr")
    assert (assessment.notify_authority, assessment.inform_subjects) == (True, True)
    assert assessment.exceptions == ()
    assert "art_34_3_b" not in assessment.rules_applied
    reason = next(r for r in assessment.reasons if r.code == "art_34_3_b_materialised")
    assert "34(3)(b)" in reason.text("fr") and "WP250" in reason.text("en")


def test_disproportionate_effort_replaces_letters_by_a_public_communication():
    assessment = assess(facts(data_types=["health"], disproportionate_effort=True))
    assert (assessment.inform_subjects, assessment.public_communication_required) == (False, True)
    assert assessment.exceptions == ("34.3.c",)
    assert assessment.risk_level == "high"


def test_no_public_communication_when_the_risk_is_not_high():
    assessment = assess(facts(disproportionate_effort=True))
    assert (assessment.risk_level, assessment.public_communication_required) == ("unlikely", False)


# --- reasons and the JSON form --------------------------------------------------------------------------------------

def test_reasons_exist_in_french_and_english():
    assessment = assess(facts(data_types=["health"], people_count=750_000), lang="fr")
    french, english = assessment.to_dict()["reasons"], assessment.to_dict("en")["reasons"]
    assert len(french) == len(english) == len(assessment.reasons)
    assert any("RGPD" in reason for reason in french) and any("GDPR" in reason for reason in english)
    assert any("750\u202f000" in reason for reason in french) and any("750,000" in reason for reason in english)


def test_to_dict_holds_the_contract_and_the_parts():
    data = assess(facts(data_types=["payment"], malicious=True)).to_dict()
    assert {"severity_score", "severity", "notify_authority", "inform_subjects", "exceptions", "reasons",
            "public_communication_required", "parts", "rules_applied"} <= set(data)
    assert data["parts"]["dpc"] == {"value": 3, "base": 3, "data_type": "payment", "category": "financial",
                                    "capped": False, "adjustments": []}
    assert data["parts"]["ei"] == {"level": "maximum", "applied_level": "maximum", "value": 1.0}
    assert data["parts"]["cb_total"] == 0.75 and data["severity_score"] == 3.75


def test_unknown_language_is_refused():
    with pytest.raises(ValueError, match="lang"):
        assess(facts(), lang="de")


# --- the facts document -------------------------------------------------------------------------------------------

def test_template_is_valid_and_round_trips():
    parsed = validate_facts(facts_template())
    assert validate_facts(facts_to_document(parsed)) == parsed


def problems_of(**changes) -> list[tuple[str, str]]:
    doc = {**facts_template(), **changes}
    with pytest.raises(RiskFactsError) as raised:
        validate_facts(doc)
    return raised.value.problems


def test_unknown_code_is_named_with_its_index():
    assert problems_of(data_types=["civil_status", "contact", "helth"]) == [
        ("data_types[2]", "unknown code 'helth'")]


def test_every_problem_is_listed_at_once():
    doc = facts_template()
    del doc["malicious"]
    doc.update(identifiability="total", people_count=2.5, availability_hours="12", colour="red")
    with pytest.raises(RiskFactsError) as raised:
        validate_facts(doc)
    paths = [path for path, _ in raised.value.problems]
    assert sorted(paths) == ["availability_hours", "colour", "identifiability", "malicious", "people_count"]


@pytest.mark.parametrize(("changes", "path"), [
    ({"malicious": "yes"}, "malicious"),
    ({"malicious": 1}, "malicious"),
    ({"people_count": True}, "people_count"),
    ({"people_count": -1}, "people_count"),
    ({"availability_hours": math.nan}, "availability_hours"),
    ({"availability_hours": -2}, "availability_hours"),
    ({"data_types": "health"}, "data_types"),
    ({"data_types": []}, "data_types"),
    ({"people_categories": ["patients", 3]}, "people_categories[1]"),
    ({"confidentiality": None}, "confidentiality"),
    ({"dpc_adjustment": 2, "dpc_adjustment_reason": "x"}, "dpc_adjustment"),
    ({"dpc_adjustment": 1, "dpc_adjustment_reason": "  "}, "dpc_adjustment_reason"),
])
def test_wrong_values_are_refused_naming_the_field(changes, path):
    assert [p for p, _ in problems_of(**changes)] == [path]


def test_extension_keys_and_documented_optional_keys_are_accepted():
    doc = {**facts_template(), "x_note": "seen by the CISO", "discovered_by_authority": True}
    del doc["availability_hours"], doc["dpc_adjustment"], doc["dpc_adjustment_reason"]
    parsed = validate_facts(doc)
    assert parsed.discovered_by_authority and parsed.availability_hours is None


def test_a_document_must_be_an_object():
    with pytest.raises(RiskFactsError) as raised:
        validate_facts(["health"])
    assert raised.value.problems == [("(document)", "must be a JSON object, not list")]


def test_facts_are_immutable():
    with pytest.raises(dataclasses.FrozenInstanceError):
        facts().malicious = True
