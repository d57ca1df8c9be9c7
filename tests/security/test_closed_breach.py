"""A closed breach is read-only (issue 12, point 13): the attack edited a closed breach and the change landed in the
register. Every change to it or to what hangs from it is refused with a clear message, until a DPO reopens it with
a written reason, kept in its history and in the audit trail."""

import html
import io

import pytest

from notifier.audit.models import AuditEntry
from notifier.breaches import services as breaches
from notifier.breaches.closing import BreachClosedError
from notifier.breaches.models import BreachChange
from notifier.extensions import db
from notifier.letters import services as letters
from notifier.letters.models import LetterTemplate
from notifier.patients.models import PatientImport

REFUSED = "Violation clôturée\u00a0: elle n'est plus modifiable."


@pytest.fixture
def closed(breach, dpo, dpo_client):
    dpo_client.post(f"/breaches/{breach.id}/steps/notification",
                    data={"title": "Fuite de la messagerie", "version": breach.version})
    db.session.refresh(breach)
    # The action plan's tasks are still open: closing asks first (tests/cases), then closes once confirmed.
    assert dpo_client.post(f"/breaches/{breach.id}/close", data={}).status_code == 200
    assert dpo_client.post(f"/breaches/{breach.id}/close", data={"confirmed": "1"}).status_code == 302
    db.session.refresh(breach)
    assert breach.status == "closed"
    return breach


def test_a_wizard_step_of_a_closed_breach_is_refused_and_the_register_keeps_the_closed_record(dpo_client, closed):
    response = dpo_client.post(f"/breaches/{closed.id}/steps/notification",
                               data={"title": "Titre réécrit après coup", "version": closed.version})
    assert response.status_code == 409
    assert REFUSED in html.unescape(response.get_data(as_text=True))
    db.session.refresh(closed)
    assert closed.title == "Fuite de la messagerie"
    assert "Titre réécrit" not in dpo_client.get("/register").get_data(as_text=True)


def test_letter_templates_imports_and_generation_of_a_closed_breach_are_refused(app, dpo_client, closed):
    response = dpo_client.post(f"/breaches/{closed.id}/letters/variants/standard",
                               data={"sender_name": "Clinique", "lang": "fr", "audience": "any"})
    assert response.status_code == 409 and REFUSED in html.unescape(response.get_data(as_text=True))
    assert LetterTemplate.query.count() == 0
    data = "IPP;Nom;Date de naissance;Adresse;Code postal;Ville\n1;Martin;01/01/1960;1 rue;75001;Paris\n"
    response = dpo_client.post(f"/breaches/{closed.id}/patients/imports",
                               data={"file": (io.BytesIO(data.encode()), "patients.csv")},
                               content_type="multipart/form-data")
    assert response.status_code == 409 and REFUSED in html.unescape(response.get_data(as_text=True))
    assert PatientImport.query.count() == 0
    import os

    folder = os.path.join(app.config["STORAGE_DIR"], "imports")
    assert not os.path.isdir(folder) or os.listdir(folder) == []  # the staged upload is deleted
    response = dpo_client.post(f"/breaches/{closed.id}/letters/jobs", data={})
    assert response.status_code == 409


def test_the_services_refuse_too_whoever_calls_them(closed, dpo):
    from notifier.risk import services as risk

    with pytest.raises(BreachClosedError):
        risk.assess_breach(closed, risk.facts_from_breach(closed), dpo)
    with pytest.raises(BreachClosedError):
        letters.save_template(closed, dpo, "standard", letters.TemplateDraft(sender={"name": "Clinique"}))
    with pytest.raises(BreachClosedError):
        breaches.close_breach(closed, dpo)


def test_a_command_on_a_closed_breach_fails_with_one_line(app, closed, dpo, tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text("IPP;Nom;Date de naissance;Adresse;Code postal;Ville\n1;Martin;01/01/1960;1 rue;75001;Paris\n")
    runner = app.test_cli_runner(env={"NOTIFIER_LANG": "en"})
    result = runner.invoke(args=["patients", "import", str(closed.id), str(path)])
    assert result.exit_code == 2
    assert f"error: {closed.reference}: Breach closed: it can no longer be changed." in result.output


def test_a_dpo_reopens_with_a_reason_shown_in_the_history_and_audited(dpo_client, closed, dpo):
    response = dpo_client.post(f"/breaches/{closed.id}/reopen", data={"reason": "  "}, follow_redirects=True)
    assert "Indiquez le motif de la réouverture" in html.unescape(response.get_data(as_text=True))
    db.session.refresh(closed)
    assert closed.status == "closed"

    reason = "La CNIL demande un complément sur les mesures prises."
    assert dpo_client.post(f"/breaches/{closed.id}/reopen", data={"reason": reason}).status_code == 302
    db.session.refresh(closed)
    assert closed.status == "open" and closed.closed_at is None
    history = dpo_client.get(f"/breaches/{closed.id}/history").get_data(as_text=True)
    assert reason in html.unescape(history) and "Motif de la réouverture" in history
    changes = {(c.field, c.old_value, c.new_value) for c in BreachChange.query.filter_by(section="status")}
    assert {("status", "draft", "closed"), ("status", "closed", "open"), ("reopen_reason", None, reason)} <= changes
    entry = AuditEntry.query.filter_by(action="breach.reopen").one()
    assert entry.details["reason"] == reason and entry.user_id == dpo.id
    response = dpo_client.post(f"/breaches/{closed.id}/steps/notification",
                               data={"title": "Complément", "version": closed.version})
    assert response.status_code == 302  # open again: editable


def test_only_a_dpo_reopens(login_as, legal, closed):
    client = login_as(legal)
    assert client.post(f"/breaches/{closed.id}/reopen", data={"reason": "Je voudrais modifier"}).status_code == 403
    with pytest.raises(breaches.ReopenRefused) as refused:
        breaches.reopen_breach(closed, legal, "Je voudrais modifier le dossier")
    assert refused.value.code == "not_dpo"
