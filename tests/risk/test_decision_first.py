"""Issue 13 point 7: the risk page leads with the decision (notify the CNIL, before when; inform the patients), then
the reasons, then the method; the DPO's own severity estimate from the wizard sits beside the ENISA result, a
difference explained; DPC adjustments that the 1-to-4 scale cut back are not listed as applied."""

import re

from notifier.extensions import db
from notifier.risk import services as service
from notifier.risk.rules.engine import assess, validate_facts
from notifier.risk.rules.estimate import compare


def facts(**changes):
    base = {
        "data_types": ["civil_status", "contact"], "identifiability": "maximum",
        "confidentiality": "known_recipients", "integrity": "none", "availability": "none",
        "availability_hours": None, "malicious": False, "people_count": 10, "people_categories": ["customers"],
        "unintelligible": False, "recipient_trusted": False, "risk_neutralised": False,
        "disproportionate_effort": False, "care_disrupted": False,
    }
    return validate_facts({**base, **changes})


def text_of(response) -> str:
    page = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(page.replace("&#39;", "'").replace("\u00a0", " ").split())


# --- the engine: an adjustment that changed nothing is not applied -------------------------------------------------

def test_adjustments_cut_back_by_the_scale_are_not_rules_applied():
    # Health data: DPC 4 already; minors +1 and 758,912 people +1 leave it at 4.
    result = assess(facts(data_types=["health"], people_categories=["patients", "minors"], people_count=758_912))
    assert result.dpc.value == 4
    assert "vulnerable_people" not in result.rules_applied and "large_volume" not in result.rules_applied
    assert [(a.code, a.effective) for a in result.dpc.adjustments] == [("vulnerable_people", False),
                                                                       ("large_volume", False)]
    said = [reason.text("fr") for reason in result.reasons]
    assert any(text.startswith("Sans effet sur le score («\u00a0DPC +1\u00a0: plus de 5 000 personnes\u00a0»)")
               for text in said)
    assert result.to_dict()["parts"]["dpc"]["adjustments"][0]["effective"] is False


def test_an_adjustment_that_moves_the_dpc_is_applied_and_the_one_past_the_bound_is_not():
    # Financial data: DPC 3; minors take it to 4 (applied), the volume would take it to 5 (without effect).
    result = assess(facts(data_types=["financial"], people_categories=["minors"], people_count=10_000))
    assert result.dpc.value == 4
    assert "vulnerable_people" in result.rules_applied and "large_volume" not in result.rules_applied
    assert [a.effective for a in result.dpc.adjustments] == [True, False]


def test_a_dpo_adjustment_downwards_from_the_bound_is_applied():
    result = assess(facts(data_types=["health"], dpc_adjustment=-1, dpc_adjustment_reason="Dates only."))
    assert result.dpc.value == 3 and "dpo_adjustment" in result.rules_applied


def test_the_score_is_unchanged_by_the_effect_bookkeeping():
    result = assess(facts(data_types=["health"], people_categories=["minors"], people_count=9000, malicious=True,
                          confidentiality="unknown_recipients"))
    assert result.severity_score == 4 * 1 + 0.5 + 0.5 and result.dpc.capped


# --- the estimate ----------------------------------------------------------------------------------------------

def test_the_estimate_agrees_rank_for_rank_and_explains_a_difference():
    assert compare("maximum", "very_high", 5).agreement == "same"
    higher = compare("maximum", "medium", 2.5)
    assert higher.agreement == "dpo_higher"
    assert "plus grave que le résultat ENISA (« moyenne », SE = 2,5)" in higher.explanation("fr").replace("\u00a0", " ")
    assert "ajustez le DPC de +1" in higher.explanation("fr")
    lower = compare("limited", "very_high", 5)
    assert lower.agreement == "dpo_lower" and "less severe than the ENISA result" in lower.explanation("en")
    assert compare(None, "high", 3) is None and compare("bogus", "high", 3) is None


# --- the page ----------------------------------------------------------------------------------------------------

def test_the_page_opens_on_the_decision_then_the_reasons_then_the_method(dpo_client, example_breach):
    text = text_of(dpo_client.get(f"/breaches/{example_breach.id}/risk"))
    # The example was notified on 25 October 2026 at 18:40 (Paris).
    assert "Notifier la CNIL : oui , notifiée le 25 octobre 2026 à 18 h 40 · Informer les patients : oui" in text
    example_breach.cnil_sent_at = None
    db.session.commit()
    text = text_of(dpo_client.get(f"/breaches/{example_breach.id}/risk"))
    # Aware on 23 October 2026 at 14:20 (Paris, summer time): due 72 hours later, 13:20 in winter time.
    lead = "Notifier la CNIL : oui , avant le 26 octobre 2026 à 13 h 20 · Informer les patients : oui"
    assert lead in text
    decision, reasons, method = (text.index(lead), text.index("Motifs"), text.index("SE = DPC 4 × EI 1 + CB 1 = 5"))
    assert decision < reasons < method
    assert text.index("Évaluation du risque") < decision


def test_the_page_shows_the_dpo_estimate_beside_the_enisa_result(dpo_client, example_breach):
    text = text_of(dpo_client.get(f"/breaches/{example_breach.id}/risk"))
    assert "Gravité estimée dans la fiche (étape « Conséquences probables ») : Maximal" in text
    assert "Gravité ENISA : Très élevée" in text
    assert "Votre estimation concorde avec le résultat de la méthode ENISA." in text

    sections = dict(example_breach.sections)
    sections["consequences"] = {**sections["consequences"], "severity": "limited"}
    example_breach.sections = sections
    db.session.commit()
    text = text_of(dpo_client.get(f"/breaches/{example_breach.id}/risk"))
    assert "Votre estimation (« limité ») est moins grave que le résultat ENISA (« très élevée », SE = 5)" in text


def test_the_page_does_not_list_idle_adjustments_as_applied(dpo_client, example_breach):
    assert "vulnerable_people" not in service.latest_assessment(example_breach).result["rules_applied"]
    page = dpo_client.get(f"/breaches/{example_breach.id}/risk").get_data(as_text=True)
    idle = page[page.index('class="muted idle-adjustments"'):]
    idle = idle[:idle.index("</ul>")]
    assert "DPC +1" in idle and "mineurs ou personnes vulnérables" in idle and "plus de 5 000 personnes" in idle
    applied = text_of(dpo_client.get(f"/breaches/{example_breach.id}/risk"))
    applied = applied[applied.index("Niveau de risque retenu Risque élevé"):][:300]
    assert "plus de 5 000 personnes" not in applied


def test_a_late_notification_is_said_on_the_decision(dpo_client, example_breach):
    assert "Le délai de 72 heures est dépassé" not in text_of(dpo_client.get(f"/breaches/{example_breach.id}/risk"))
    example_breach.cnil_sent_at = None
    db.session.commit()
    # The example's deadline (26 October 2026) has passed when the tests run.
    assert "Le délai de 72 heures est dépassé" in text_of(dpo_client.get(f"/breaches/{example_breach.id}/risk"))
