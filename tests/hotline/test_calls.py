"""Logging a call: reason, outcome, note; each call is announced (core.events.hotline_call_logged) with the breach,
the patient, the reason, the user and the new address, for the returned-mail flow and the case's action plan.
Calls are counted by reason and by day on the breach page and in a chart, and exported as formula-safe CSV (counts
only)."""

import csv
import io
import re

import pytest

from notifier.core import events
from notifier.core.i18n import translate
from notifier.extensions import db
from notifier.hotline import charts
from notifier.hotline import services as hotline
from notifier.hotline.models import HotlineCall


@pytest.fixture
def announced():
    received = []

    def receiver(sender, **kwargs):
        received.append((sender, kwargs))

    events.hotline_call_logged.connect(receiver)
    yield received
    events.hotline_call_logged.disconnect(receiver)


def test_an_address_change_is_announced_with_the_new_address(breach, mailed, hotline_user, announced):
    patient = mailed["IPP-GENUINE-1"].patient
    call = hotline.log_call(breach, hotline_user, reason="address_changed", outcome="answered", patient=patient,
                            new_address=["3 PLACE NEUVE", "35700 RENNES"], note="")
    assert len(announced) == 1
    sender, kwargs = announced[0]
    assert sender is call
    assert kwargs == {"breach": breach, "patient": patient, "reason": "address_changed", "user": hotline_user,
                      "new_address": ["3 PLACE NEUVE", "35700 RENNES"], "lang": "fr"}


def test_a_request_to_exercise_rights_is_announced_without_an_address(breach, mailed, hotline_user, announced):
    patient = mailed["IPP-GENUINE-2"].patient
    hotline.log_call(breach, hotline_user, reason="rights", outcome="escalated", patient=patient,
                     note="Demande d'accès au dossier", new_address=["ignored", "lines"])
    (_sender, kwargs), = announced
    assert kwargs["reason"] == "rights" and kwargs["patient"] is patient and kwargs["new_address"] is None


def test_a_call_about_nobody_identified_is_logged_and_announced(breach, hotline_user, announced):
    call = hotline.log_call(breach, hotline_user, reason="press", outcome="redirected")
    assert call.patient_pk is None and announced[0][1]["patient"] is None


def test_an_address_change_needs_the_patient_and_a_whole_address(breach, mailed, hotline_user, announced):
    with pytest.raises(hotline.HotlineError):
        hotline.log_call(breach, hotline_user, reason="address_changed", outcome="answered",
                         new_address=["A", "B"])
    with pytest.raises(hotline.HotlineError):
        hotline.log_call(breach, hotline_user, reason="address_changed", outcome="answered",
                         patient=mailed["IPP-GENUINE-1"].patient, new_address=["3 PLACE NEUVE"])
    for reason, outcome in (("nonsense", "answered"), ("press", "nonsense")):
        with pytest.raises(hotline.HotlineError):
            hotline.log_call(breach, hotline_user, reason=reason, outcome=outcome)
    assert announced == [] and HotlineCall.query.count() == 0


def test_the_audit_entry_of_a_call_holds_codes_never_the_note(breach, mailed, hotline_user):
    from notifier.audit.models import AuditEntry

    hotline.log_call(breach, hotline_user, reason="fraud_fear", outcome="answered",
                     patient=mailed["IPP-GENUINE-1"].patient, note="Mme VERITABLE a reçu un SMS")
    entry = AuditEntry.query.filter_by(action="hotline.call").one()
    assert "VERITABLE" not in str(entry.details) and entry.details["reason"] == "fraud_fear"


def test_the_desk_logs_a_call_for_the_patient_found(breach, mailed, hotline_client, announced):
    page = hotline_client.post("/hotline/search", data={"reference": mailed["IPP-GENUINE-1"].reference}) \
        .get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    response = hotline_client.post(f"/hotline/breaches/{breach.id}/calls", data={
        "token": token, "reason": "address_changed", "outcome": "answered", "note": "",
        "new_address": "3 PLACE NEUVE\n35700 RENNES"})
    assert response.status_code == 302
    call = HotlineCall.query.one()
    assert call.patient_pk == mailed["IPP-GENUINE-1"].patient.id and call.reason == "address_changed"
    assert announced[0][1]["new_address"][-1] == "35700 RENNES"


def found_token(client, reference):
    page = client.post("/hotline/search", data={"reference": reference}).get_data(as_text=True)
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def test_an_address_given_on_the_desk_resends_the_letter_there_with_the_name_once(breach, mailed, hotline_client):
    """The returned-mail flow (letters.returns.change_address): the posted letter is marked re-sent and a new one,
    with its own reference, waits for the next "new letters only" job; the name line is made from the file."""
    from notifier.letters import services as letters
    from notifier.letters.models import Letter
    from notifier.patients.models import Patient

    person = mailed["IPP-GENUINE-1"]
    response = hotline_client.post(f"/hotline/breaches/{breach.id}/calls", data={
        "token": found_token(hotline_client, person.reference), "reason": "address_changed", "outcome": "answered",
        "new_address": "3 PLACE NEUVE\n35700 RENNES"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Patient, person.patient.id).address_lines == [
        "Madame Ghislaine VERITABLE", "3 PLACE NEUVE", "35700 RENNES"]
    assert db.session.get(Letter, person.letter.id).status == "resent"
    new = Letter.query.filter_by(resent_from_id=person.letter.id).one()
    assert new.patient_pk == person.patient.id and new.status is None
    page = hotline_client.get(response.headers["Location"]).get_data(as_text=True)
    assert letters.letter_reference(breach.reference, new.number) in page  # the agent can tell the caller


def test_a_new_address_the_returned_mail_flow_refuses_refuses_the_call(breach, mailed, hotline_client):
    """Before, the call was logged and "Appel enregistré" shown while the address was dropped: no new letter."""
    from notifier.letters.models import Letter

    person = mailed["IPP-GENUINE-1"]
    response = hotline_client.post(f"/hotline/breaches/{breach.id}/calls", data={
        "token": found_token(hotline_client, person.reference), "reason": "address_changed", "outcome": "answered",
        "new_address": "3 PLACE NEUVE\nRENNES"})  # no postcode
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Nouvelle adresse refusée, l&#39;appel n&#39;est pas enregistré" in page
    assert "VERITABLE" in page and 'name="token"' in page  # the same patient, to correct it with the caller
    assert HotlineCall.query.count() == 0 and Letter.query.filter_by(resent_from_id=person.letter.id).count() == 0
    db.session.expire_all()
    assert person.patient.address_lines[1] == "12 RUE DES ORMEAUX"


def test_a_request_to_exercise_rights_logged_on_the_desk_is_a_task_for_the_dpo(breach, mailed, dpo, hotline_client):
    from notifier.cases.models import CaseTask

    response = hotline_client.post(f"/hotline/breaches/{breach.id}/calls", data={
        "token": found_token(hotline_client, mailed["IPP-GENUINE-2"].reference), "reason": "rights",
        "outcome": "escalated", "note": "Demande d'accès"})
    assert response.status_code == 302
    call = HotlineCall.query.one()
    task = CaseTask.query.filter_by(source=f"hotline:{call.id}").one()
    assert task.owner_id == dpo.id and "Demande" not in task.title and "PREPARE" not in task.title


def test_a_forged_or_foreign_patient_token_is_refused(breach, mailed, hotline_client):
    response = hotline_client.post(f"/hotline/breaches/{breach.id}/calls", data={
        "token": "forged", "reason": "genuine", "outcome": "answered"})
    assert response.status_code == 400 and HotlineCall.query.count() == 0


def test_calls_are_counted_by_reason_and_day_shown_in_a_chart_and_on_the_breach_page(breach, mailed, hotline_user,
                                                                                    dpo_client):
    for reason in ("genuine", "genuine", "fraud_fear", "press"):
        hotline.log_call(breach, hotline_user, reason=reason, outcome="answered")
    db.session.commit()
    counts = hotline.call_counts(breach.id)
    assert counts.total == 4 and counts.by_reason["genuine"] == 2 and counts.by_reason["press"] == 1
    assert len(counts.days) == 1 and sum(counts.days[0][1].values()) == 4
    page = dpo_client.get(f"/hotline/breaches/{breach.id}/calls").get_data(as_text=True)
    assert "<svg" in page and 'data-reason="genuine">2<' in page
    page = dpo_client.get(f"/breaches/{breach.id}").get_data(as_text=True)
    assert "hotline-panel" in page and 'data-reason="fraud_fear">1<' in page
    panel = page[page.index('class="hotline-panel"'):]
    chart = panel[panel.index('<figure class="chart hotline-panel-chart">'):panel.index("</figure>")]
    assert "<svg" in chart and "<script" not in chart
    assert re.findall(r'<rect x="30" y="[\d.]+" width="28" height="([\d.]+)" fill="([^"]+)">', chart) == [
        ("80.0", charts.COLOURS["genuine"]), ("40.0", charts.COLOURS["fraud_fear"]), ("40.0", charts.COLOURS["press"])]


def test_the_breach_pages_chart_names_only_the_reasons_called_under_its_bars(breach, mailed, hotline_user):
    """The narrow chart of the breach page: its legend under the bars, larger text, no wider than 7 days of bars
    (or 300 units), so that it stays readable scaled down to a 390 px phone."""
    hotline.log_call(breach, hotline_user, reason="rights", outcome="answered")
    db.session.commit()
    svg = str(charts.calls_by_day(hotline.call_counts(breach.id, days=7), "fr", days=7, legend_below=True))
    assert 'viewBox="0 0 300 ' in svg
    legend = re.findall(r'font-size="13">([^<]+)</text>', svg)
    assert legend == [translate(hotline.REASON_LABELS["rights"], "fr")]
    assert "<title>" in svg and 'role="img"' in svg


def test_the_csv_export_has_counts_only_and_is_formula_safe(breach, mailed, hotline_user, dpo_client):
    hotline.log_call(breach, hotline_user, reason="other", outcome="callback", note="=HYPERLINK(\"http://x\")",
                     patient=mailed["IPP-GENUINE-1"].patient)
    for note in ("+SUM(1)", "-2+3", "@cmd", "\tTAB=1", "\rCR=1"):  # every formula trigger; the notes stay out
        hotline.log_call(breach, hotline_user, reason="other", outcome="callback", note=f"{note} NOTE-OF-CALL")
    db.session.commit()
    response = dpo_client.get(f"/hotline/breaches/{breach.id}/calls.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["date", "motif", "code", "appels"] and rows[1][1:] == ["Autre", "other", "6"]
    assert "HYPERLINK" not in text and "VERITABLE" not in text and "NOTE-OF-CALL" not in text
    assert "\t" not in text and "@" not in text and "SUM" not in text
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row[1:])


def test_a_hotline_user_sees_no_breach_form_no_register_no_patient_list_or_export(breach, mailed, hotline_client):
    for url in (f"/breaches/{breach.id}", "/", "/register", f"/breaches/{breach.id}/patients",
                f"/breaches/{breach.id}/export.json", f"/hotline/breaches/{breach.id}/calls.csv",
                f"/hotline/breaches/{breach.id}/script"):
        assert hotline_client.get(url).status_code in (403, 404), url
    page = hotline_client.get("/hotline/").get_data(as_text=True)
    assert "Tableau de bord" not in page and "Registre" not in page


def test_a_hotline_user_lands_on_the_desk_after_login(client, hotline_user, password):
    response = client.post("/login", data={"email": hotline_user.email, "password": password})
    assert response.status_code == 302 and response.headers["Location"].endswith("/hotline/")


def test_the_purge_of_the_patients_empties_the_calls_links_and_notes(breach, mailed, hotline_user):
    hotline.log_call(breach, hotline_user, reason="what_data", outcome="answered",
                     patient=mailed["IPP-GENUINE-1"].patient, note="Mme VERITABLE")
    db.session.commit()
    events.patients_forgetting.send(breach.id)
    call = db.session.scalars(db.select(HotlineCall)).one()
    db.session.refresh(call)
    assert call.patient_pk is None and call.note == "" and call.reason == "what_data"
