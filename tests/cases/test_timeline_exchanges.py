"""The timeline (typed and automatic entries), the exchanges with their reply-by clocks, and what closing asks."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from notifier.cases import services as cases
from notifier.cases.models import CaseTask, Exchange, TimelineEvent
from notifier.cases.states import ExchangeStatus, TimelineKind
from notifier.core import events
from notifier.extensions import db


def test_an_event_is_typed_with_its_author_and_linked_evidence(aware_breach, dpo):
    import io

    evidence = cases.add_evidence(aware_breach, dpo, filename="capture-forum.png", stream=io.BytesIO(b"png"),
                                  max_bytes=10**6)
    event = cases.add_event(aware_breach, dpo, occurred_at="2026-10-25T08:30", kind=TimelineKind.PUBLICATION,
                            description="Annonce de vente repérée sur un forum", evidence_ids=[evidence.id])
    db.session.commit()
    assert event.occurred_at == datetime(2026, 10, 25, 7, 30, tzinfo=UTC)  # winter time since 03:00
    assert event.author_id == dpo.id and event.evidence == [evidence] and not event.automatic
    assert "Annonce de vente repérée" in cases.timeline_text(aware_breach)


def test_an_event_needs_a_date_and_a_description(aware_breach, dpo):
    with pytest.raises(cases.CaseInputError) as refused:
        cases.add_event(aware_breach, dpo, occurred_at="", kind="other", description="x")
    assert refused.value.message("fr") == "date manquante"
    with pytest.raises(cases.CaseInputError):
        cases.add_event(aware_breach, dpo, occurred_at="2026-10-25T08:30", kind="other", description="  ")


def test_evidence_of_another_breach_cannot_be_linked(aware_breach, dpo, establishment):
    import io

    from notifier.breaches.services import create_breach

    other = create_breach(dpo, establishment)
    evidence = cases.add_evidence(other, dpo, filename="a.txt", stream=io.BytesIO(b"a"), max_bytes=10)
    with pytest.raises(cases.CaseInputError):
        cases.add_event(aware_breach, dpo, occurred_at="2026-10-25T08:30", kind="other", description="x",
                        evidence_ids=[evidence.id])


def test_the_cnil_sending_and_the_awareness_become_automatic_entries_once(aware_breach, dpo):
    aware_breach.cnil_sent_at = datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
    for _ in range(2):
        events.breach_step_saved.send(aware_breach, user=dpo, step_code="cnil_submission",
                                      changed=["cnil_sent_at"])
    events.breach_step_saved.send(aware_breach, user=dpo, step_code="dates", changed=["aware_at"])
    db.session.commit()
    automatic = [e for e in cases.timeline(aware_breach) if e.automatic]
    assert [e.source for e in automatic] == ["aware", "cnil_sent"]
    assert cases.event_text(automatic[1], "en") == "Notification sent to the CNIL"
    aware_breach.cnil_sent_at = datetime(2026, 10, 25, 10, 0, tzinfo=UTC)
    events.breach_step_saved.send(aware_breach, user=dpo, step_code="cnil_submission", changed=["cnil_sent_at"])
    assert TimelineEvent.query.filter_by(source="cnil_sent").one().occurred_at == aware_breach.cnil_sent_at


def test_reports_letter_jobs_and_imports_become_automatic_entries(aware_breach, dpo):
    at = datetime(2026, 10, 26, 9, 0, tzinfo=UTC)
    events.report_generated.send(SimpleNamespace(id=7, breach_id=aware_breach.id, document="cnil", number=2,
                                                 generated_at=at), user=dpo)
    events.letter_job_finished.send(SimpleNamespace(id=3, breach_id=aware_breach.id, total=1200, finished_at=at))
    events.patients_imported.send(SimpleNamespace(id=4, breach_id=aware_breach.id, accepted=1198, finished_at=at),
                                  user=dpo)
    db.session.commit()
    texts = {e.source: cases.event_text(e, "fr") for e in cases.timeline(aware_breach)}
    assert texts["report:7"] == "Document «\u00a0Notification à la CNIL\u00a0» généré (version 2)"  # its name
    report_event = TimelineEvent.query.filter_by(source="report:7").one()
    assert cases.event_text(report_event, "en") == 'Document "Notification to the CNIL" generated (version 2)'
    assert "1200" in texts["letter_job:3"] and "1198" in texts["patient_import:4"]


def test_a_rights_request_to_the_hotline_becomes_a_task_for_the_dpo(aware_breach, dpo, legal):
    call = SimpleNamespace(id=11, at=datetime(2026, 10, 27, 10, 0, tzinfo=UTC))
    for _ in range(2):
        events.hotline_call_logged.send(call, breach=aware_breach, patient=None, reason="rights", user=legal,
                                        new_address=None)
    events.hotline_call_logged.send(SimpleNamespace(id=12), breach=aware_breach, patient=None, reason="question",
                                    user=legal, new_address=None)
    db.session.commit()
    task = CaseTask.query.filter_by(source="hotline:11").one()
    assert task.owner_id == dpo.id and task.due_at == call.at + timedelta(days=30)
    assert CaseTask.query.filter_by(source="hotline:12").count() == 0


def test_an_exchange_with_a_reply_by_date_is_a_clock_until_answered(aware_breach, dpo):
    exchange = cases.add_exchange(aware_breach, dpo, direction="in", party="cnil", occurred_at="2026-11-02T10:00",
                                  subject="Demande d'informations complémentaires", reference="CNIL-2026-123",
                                  reply_by="2026-11-16T18:00")
    db.session.commit()
    assert exchange.status == ExchangeStatus.AWAITING_REPLY
    assert exchange.reply_by == datetime(2026, 11, 16, 17, 0, tzinfo=UTC)
    logged = next(e for e in cases.timeline(aware_breach) if e.source == f"exchange:{exchange.id}")
    assert cases.event_text(logged, "fr") == "Courrier reçu (CNIL)"  # from whom, in the annex and "circonstances"
    assert cases.event_text(logged, "en") == "Correspondence received (CNIL)"
    with pytest.raises(cases.CaseInputError):
        cases.add_exchange(aware_breach, dpo, direction="in", party="cnil", occurred_at="2026-11-02T10:00",
                           subject="x", reply_by="2026-11-01T10:00")
    with pytest.raises(cases.CaseInputError):
        cases.add_exchange(aware_breach, dpo, direction="sideways", party="cnil", occurred_at="2026-11-02T10:00",
                           subject="x")
    cases.answer_exchange(exchange, aware_breach, dpo)
    assert exchange.status == ExchangeStatus.ANSWERED and exchange.answered_at is not None


def test_closing_asks_about_open_exchanges_and_tasks_then_closes_when_confirmed(aware_breach, dpo, dpo_client):
    cases.add_exchange(aware_breach, dpo, direction="in", party="cnil", occurred_at="2026-11-02T10:00",
                       subject="Demande de compléments", reply_by="2026-11-16T18:00")
    db.session.commit()
    page = dpo_client.post(f"/breaches/{aware_breach.id}/close", data={})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "attend(ent) encore une réponse" in text and "Demande de compléments" in text
    assert "ne sont ni faites ni sans objet" in text
    db.session.expire_all()
    assert aware_breach.status != "closed"
    assert dpo_client.post(f"/breaches/{aware_breach.id}/close", data={"confirmed": "1"}).status_code == 302
    db.session.expire_all()
    assert aware_breach.status == "closed"


def test_a_closed_breach_refuses_case_changes(aware_breach, dpo, dpo_client):
    from notifier.breaches.closing import BreachClosedError
    from notifier.breaches.services import close_breach

    close_breach(aware_breach, dpo)
    db.session.commit()
    with pytest.raises(BreachClosedError):
        cases.add_task(aware_breach, dpo, title="x")
    response = dpo_client.post(f"/breaches/{aware_breach.id}/case/exchanges", data={
        "direction": "in", "party": "cnil", "occurred_at": "2026-11-02T10:00", "subject": "x"})
    assert response.status_code == 409 and Exchange.query.count() == 0


def test_the_case_page_shows_and_logs_exchanges(aware_breach, dpo_client):
    response = dpo_client.post(f"/breaches/{aware_breach.id}/case/exchanges", data={
        "direction": "out", "party": "police", "occurred_at": "2026-10-24T09:00", "subject": "Dépôt de plainte",
        "reference": "PV 2026/4411"})
    assert response.status_code == 302
    page = dpo_client.get(f"/breaches/{aware_breach.id}/case").get_data(as_text=True)
    assert "Dépôt de plainte" in page and "PV 2026/4411" in page and "Police ou gendarmerie" in page


def test_recording_the_cnil_sending_in_the_wizard_adds_it_to_the_timeline(aware_breach, dpo):
    from notifier.breaches.services import save_step

    result = save_step(aware_breach, "cnil_submission", {"cnil_sent_at": "2026-10-25T09:00"}, user=dpo,
                       expected_version=aware_breach.version, now=datetime(2026, 10, 25, 12, 0, tzinfo=UTC))
    assert result.ok, result.errors
    db.session.commit()
    sources = [e.source for e in cases.timeline(aware_breach)]
    assert sources == ["aware", "cnil_sent"]


def test_the_cnil_report_carries_the_timeline_as_an_annex(aware_breach, dpo):
    """Issue 16, point 3: the timeline's facts are in the CNIL report's annex, one dated fact a line."""
    from notifier.reports import services as reports

    cases.add_event(aware_breach, dpo, occurred_at="2026-10-25T08:30", kind=TimelineKind.PUBLICATION,
                    description="Annonce de vente repérée sur un forum")
    db.session.commit()
    version = reports.generate(aware_breach, user=dpo)
    import io

    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(reports.storage_path(version.storage_name).read_bytes()))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert "Annexe : chronologie de l'incident" in text.replace("\u00a0", " ")
    assert "Annonce de vente repérée sur un forum" in text


def test_the_dates_step_offers_to_insert_the_timeline_into_the_circumstances(login_as, aware_breach, dpo):
    cases.add_event(aware_breach, dpo, occurred_at="2026-10-25T08:30", kind=TimelineKind.PUBLICATION,
                    description="Annonce de vente <repérée>")
    db.session.commit()
    page = login_as(dpo).get(f"/breaches/{aware_breach.id}/steps/dates").get_data(as_text=True)
    assert 'data-insert-into="discovery_circumstances"' in page
    assert "Annonce de vente &lt;repérée&gt;" in page and "<repérée>" not in page  # escaped, never markup
