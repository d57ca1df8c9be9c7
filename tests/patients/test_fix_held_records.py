"""A held record fixed by hand: the new values go through the importer's own checks again, the holds are
recomputed, a hold is cleared only with a reason, and the change is audited with field names only."""

import json

import pytest

from notifier.audit.models import AuditEntry
from notifier.extensions import db
from notifier.patients import services as patients
from notifier.patients.models import Patient


@pytest.fixture
def held(files, dpo, breach, tmp_path):
    minor = f"01/01/{files.THIS_YEAR - 10}"
    path = files.write_csv(tmp_path / "p.csv", [
        files.person("100001", last="Alone", first="Léa", born=minor),
        files.person("100002", last="Gone", deceased="oui"),
    ])
    patients.import_file(breach, path, user=dpo)
    return {p.last_name: p for p in Patient.query}


def reload(patient_id: str) -> Patient:
    """The record as stored now (the requests ran in their own sessions)."""
    db.session.expire_all()
    return Patient.query.filter_by(patient_id=patient_id).one()


def fix_url(breach, patient):
    return f"/breaches/{breach.id}/patients/{patient.id}/fix"


def test_adding_a_minors_representative_addresses_the_letter_to_them(held, breach, dpo_client):
    alone = held["Alone"]  # without a representative: to the parents at the child's address, not held
    assert (alone.status, alone.holds, alone.address_lines[0]) == ("ready", [], "Aux parents de Léa ALONE")
    form = {"street": "3 rue des Parents", "postcode": "69003", "city": "Lyon", "guardian_name": "Mme Anne ALONE"}
    response = dpo_client.post(fix_url(breach, alone), data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    patient = reload("100001")
    assert (patient.status, patient.holds, patient.addressee) == ("ready", [], "guardian")
    assert patient.address_lines == ["Mme Anne ALONE", "Représentant légal de Léa ALONE", "3 rue des Parents",
                                     "69003 LYON"]
    entry = AuditEntry.query.filter_by(action="patients.fix").one()
    assert entry.details == {"fields": ["street", "postcode", "city", "guardian_name"], "holds_cleared": [],
                             "status": "ready"}
    assert "ALONE" not in json.dumps(entry.details) and "Parents" not in json.dumps(entry.details)


def test_a_hold_is_cleared_only_with_a_reason_and_stays_cleared(held, breach, dpo_client):
    gone = held["Gone"]
    refused = dpo_client.post(fix_url(breach, gone), data={"clear_hold": "deceased", "reason": "  "})
    assert refused.status_code == 400
    assert "Indiquez pourquoi la mise en attente est levée." in refused.get_data(as_text=True)
    assert reload("100002").status == "held"

    reason = "Courrier aux ayants droit à l'adresse du défunt, validé par la direction"
    assert dpo_client.post(fix_url(breach, gone), data={"clear_hold": "deceased", "reason": reason}).status_code == 302
    patient = reload("100002")
    assert (patient.status, patient.holds, patient.cleared_holds) == ("ready", [], ["deceased"])
    assert reason in patient.review_note
    entry = AuditEntry.query.filter_by(action="patients.fix").one()
    assert entry.details == {"fields": [], "holds_cleared": ["deceased"], "status": "ready"}
    assert "ayants" not in json.dumps(entry.details)
    # A later address correction does not raise the cleared hold again.
    assert dpo_client.post(fix_url(breach, patient), data={"street": "14 rue des Lilas"}).status_code == 302
    assert reload("100002").status == "ready"


def test_an_invalid_correction_is_refused_and_nothing_changes(held, breach, dpo_client):
    alone = held["Alone"]
    before = list(alone.address_lines)
    response = dpo_client.post(fix_url(breach, alone), data={"postcode": "750", "guardian_name": "M. Paul ALONE"})
    assert response.status_code == 400
    assert "Code postal français invalide : 5 chiffres attendus (Code postal : « 750 »)" in response.get_data(
        as_text=True)
    patient = reload("100001")
    assert (patient.postcode, patient.guardian_name, patient.address_lines) == ("75020", "", before)
    assert AuditEntry.query.filter_by(action="patients.fix").count() == 0


def test_only_the_dpo_fixes_and_only_records_of_its_breach(held, breach, login_as, legal):
    assert login_as(legal).post(fix_url(breach, held["Alone"]), data={"street": "1 rue X"}).status_code == 403
    assert login_as(legal).get(f"/breaches/{breach.id}/patients").status_code == 200
