"""The clocks of issue 15: the NIS2 intermediate report (art. 23(4)(c)) and progress report (art. 23(4)(e)), and the
NIS1 declaration of an operator of essential services to the ANSSI (loi 2018-133 art. 7, décret 2018-384 art. 11)."""

from datetime import UTC, datetime, timedelta

from notifier.breaches.rules import deadlines

AWARE = datetime(2026, 10, 23, 12, 20, tzinfo=UTC)
FINAL_DUE = datetime(2026, 11, 26, 13, 20, tzinfo=UTC)


def test_no_intermediate_report_until_the_authority_asks():
    assert deadlines.nis2_intermediate_clock(None, now=AWARE) is None


def test_intermediate_report_is_due_on_the_date_the_authority_set():
    requested, due = AWARE + timedelta(days=3), AWARE + timedelta(days=10)
    clock = deadlines.nis2_intermediate_clock(requested, due_at=due, now=AWARE + timedelta(days=4))
    assert (clock.code, clock.due, clock.status, clock.immediate) == ("nis2_intermediate_report", due, "pending",
                                                                      False)
    assert "23(4)(c)" in clock.source
    late = deadlines.nis2_intermediate_clock(requested, due_at=due, sent_at=due + timedelta(hours=2),
                                             now=due + timedelta(days=1))
    assert (late.status, late.lateness) == ("done_late", timedelta(hours=2))


def test_intermediate_report_without_a_date_is_a_reminder_without_delay():
    requested = AWARE + timedelta(days=3)
    clock = deadlines.nis2_intermediate_clock(requested, now=requested + timedelta(hours=1))
    assert (clock.due, clock.immediate, clock.status) == (requested, True, "overdue")


def test_no_progress_report_when_the_incident_ended_before_the_final_report():
    assert deadlines.nis2_progress_clocks(FINAL_DUE, ongoing=False, ended_at=FINAL_DUE - timedelta(days=20),
                                          now=AWARE) == []
    assert deadlines.nis2_progress_clocks(FINAL_DUE, ongoing=True, handled_at=FINAL_DUE - timedelta(days=1),
                                          now=AWARE) == []


def test_ongoing_incident_gets_a_progress_report_at_the_final_report_date_and_no_final_date_yet():
    clocks = deadlines.nis2_progress_clocks(FINAL_DUE, ongoing=True, now=FINAL_DUE - timedelta(days=2))
    assert [(c.code, c.due, c.status) for c in clocks] == [("nis2_progress_report", FINAL_DUE, "pending")]
    assert "23(4)(e)" in clocks[0].source


def test_final_report_of_an_ongoing_incident_is_due_one_month_after_its_handling():
    handled = datetime(2027, 1, 31, 9, 0, tzinfo=UTC)  # 31 January: one month later is the last day of February
    clocks = deadlines.nis2_progress_clocks(FINAL_DUE, ongoing=True, handled_at=handled,
                                            progress_report_sent_at=FINAL_DUE - timedelta(hours=1),
                                            now=handled + timedelta(days=1))
    assert [(c.code, c.status) for c in clocks] == [("nis2_progress_report", "done_on_time"),
                                                    ("nis2_final_report", "pending")]
    assert clocks[1].due == datetime(2027, 2, 28, 9, 0, tzinfo=UTC)


def test_anssi_declaration_is_due_without_delay():
    clock = deadlines.anssi_oes_clock(AWARE, now=AWARE + timedelta(minutes=5))
    assert (clock.code, clock.immediate, clock.status) == ("anssi_oes", True, "overdue")
    assert "2018-384" in clock.source
    done = deadlines.anssi_oes_clock(AWARE, reported_at=AWARE + timedelta(days=2), now=AWARE + timedelta(days=3))
    assert done.status == "done_on_time"
