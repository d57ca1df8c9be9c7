"""The DPO's override in the service: only the DPO, always in writing, never overwriting an earlier decision, and
carried by the JSON document from one installation to another."""

import pytest

from notifier.audit.models import AuditEntry
from notifier.breaches import services as breaches
from notifier.extensions import db
from notifier.risk import services as service

WHY = "Instruction écrite de la CNIL du 27 octobre 2026 : avis public."


def test_only_the_dpo_overrides(example_breach, legal):
    with pytest.raises(PermissionError):
        service.override(service.latest_assessment(example_breach), legal, None, False, WHY)


@pytest.mark.parametrize("justification", [None, "", "   ", "Trop court."])
def test_an_override_needs_a_written_justification_of_twenty_characters(example_breach, dpo, justification):
    with pytest.raises(service.OverrideError) as refused:
        service.override(service.latest_assessment(example_breach), dpo, None, False, justification)
    assert refused.value.code == "justification_required"
    assert "20 caractères au moins" in refused.value.message("fr")
    assert "at least 20 characters" in refused.value.message("en")


def test_withdrawing_needs_an_override_to_withdraw(example_breach, dpo):
    with pytest.raises(service.OverrideError) as refused:
        service.override(service.latest_assessment(example_breach), dpo, None, None, WHY)
    assert refused.value.code == "nothing_chosen"


def test_an_override_is_audited_without_its_text(example_breach, dpo):
    service.override(service.latest_assessment(example_breach), dpo, None, False, WHY)
    entry = db.session.query(AuditEntry).filter_by(action="risk.override").one()
    assert entry.user_email == dpo.email and entry.breach_id == example_breach.id
    assert entry.details == {"notify_authority": None, "inform_subjects": False, "withdrawn": False,
                             "justification_length": len(WHY)}


def test_an_exported_override_comes_back_with_the_import(example_breach, dpo):
    service.override(service.latest_assessment(example_breach), dpo, None, False, WHY)
    document = breaches.export_document(example_breach)
    assert document["risk_override"]["by"] == dpo.email
    again = breaches.import_document(document, dpo)
    decision = service.decision(again)
    assert decision["inform_subjects"] is False and decision["computed"]["inform_subjects"] is True
    assert decision["override"]["justification"] == WHY and decision["override"]["by"] == dpo.email
    assert breaches.export_document(again)["risk_override"] == document["risk_override"]


def test_an_imported_override_without_justification_is_not_applied(import_example):
    def unjustified(doc):
        doc["risk_override"] = {"inform_subjects": False}

    breach = import_example(unjustified)
    assert service.decision(breach)["override"] is None
    assert service.decision(breach)["inform_subjects"] is True
    entry = db.session.query(AuditEntry).filter_by(action="risk.override_not_applied").one()
    assert entry.details == {"reason": "justification_missing"}
