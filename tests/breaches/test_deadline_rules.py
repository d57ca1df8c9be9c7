"""The deadline engine: GDPR art. 33(1), Regulation 1182/71, NIS2 art. 23(4), ARS "sans délai"."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from notifier.breaches.rules.deadlines import (
    DeadlineInputError,
    add_one_month,
    cnil_deadline,
    compute_clocks,
    delay_reasons_required,
    is_late,
    local_to_utc,
    parse_local_timestamp,
    regulation_1182_71_deadline,
)
from notifier.core.i18n import translate

PARIS = ZoneInfo("Europe/Paris")


def paris(*args) -> datetime:
    """An unambiguous Paris wall-clock time as a UTC instant."""
    return datetime(*args, tzinfo=PARIS).astimezone(UTC)


def wall(instant: datetime) -> tuple:
    local = instant.astimezone(PARIS)
    return (local.year, local.month, local.day, local.hour, local.minute)


# --- CNIL, GDPR art. 33(1) ----------------------------------------------------------------------------------------

def test_worked_example_deadline_crosses_fall_back():
    aware = paris(2026, 10, 23, 14, 20)  # Friday, CEST
    assert aware == datetime(2026, 10, 23, 12, 20, tzinfo=UTC)
    deadline = cnil_deadline(aware)
    assert wall(deadline) == (2026, 10, 26, 13, 20)  # Monday, CET: one hour earlier on the wall clock
    assert deadline.astimezone(PARIS).utcoffset() == timedelta(hours=1)
    assert deadline.tzinfo is UTC


def test_deadline_crosses_spring_forward():
    deadline = cnil_deadline(paris(2026, 3, 27, 9, 0))  # CET
    assert wall(deadline) == (2026, 3, 30, 10, 0)  # CEST: one hour later on the wall clock


def test_deadline_across_year_end():
    assert wall(cnil_deadline(paris(2026, 12, 30, 18, 0))) == (2027, 1, 2, 18, 0)


def test_deadline_across_leap_day():
    assert wall(cnil_deadline(paris(2028, 2, 27, 10, 0))) == (2028, 3, 1, 10, 0)


def test_period_is_configurable_for_the_proposed_96_hours():
    aware = paris(2026, 10, 23, 14, 20)
    assert cnil_deadline(aware, 96) - aware == timedelta(hours=96)
    assert wall(cnil_deadline(aware, 96)) == (2026, 10, 27, 13, 20)


def test_deadline_refuses_naive_awareness():
    with pytest.raises(DeadlineInputError, match="timezone-aware"):
        cnil_deadline(datetime(2026, 10, 23, 14, 20))


def test_deadline_refuses_a_period_that_is_not_positive():
    with pytest.raises(DeadlineInputError, match="positive"):
        cnil_deadline(paris(2026, 10, 23, 14, 20), 0)


@given(st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)),
       st.integers(min_value=1, max_value=24 * 14))
def test_deadline_is_exactly_the_period_of_elapsed_time(aware, period_hours):
    deadline = cnil_deadline(aware, period_hours)
    assert deadline - aware == timedelta(hours=period_hours)
    assert deadline.utcoffset() == timedelta(0)


def test_sent_at_the_72nd_hour_is_on_time_and_a_second_later_needs_reasons():
    aware = paris(2026, 10, 23, 14, 20)
    deadline = cnil_deadline(aware)
    assert not is_late(aware, deadline)
    assert not delay_reasons_required(aware, deadline)
    assert is_late(aware, deadline + timedelta(seconds=1))
    assert delay_reasons_required(aware, deadline + timedelta(seconds=1))
    assert not delay_reasons_required(aware, deadline + timedelta(hours=1), period_hours=96)


# --- Regulation 1182/71 art. 3: a note -----------------------------------------------------------------------------

def test_regulation_1182_71_starts_at_the_next_full_hour():
    aware = paris(2026, 10, 23, 14, 20)
    assert wall(regulation_1182_71_deadline(aware)) == (2026, 10, 26, 14, 0)


def test_regulation_1182_71_excludes_the_hour_of_the_event_even_on_the_hour():
    aware = paris(2026, 10, 23, 14, 0)
    assert wall(regulation_1182_71_deadline(aware)) == (2026, 10, 26, 14, 0)
    assert regulation_1182_71_deadline(aware) - cnil_deadline(aware) == timedelta(hours=1)


def test_regulation_1182_71_note_is_never_earlier_than_the_deadline():
    aware = paris(2026, 10, 23, 14, 59, 59)
    assert regulation_1182_71_deadline(aware, 96) > cnil_deadline(aware, 96)
    assert wall(regulation_1182_71_deadline(aware, 96)) == (2026, 10, 27, 14, 0)


def test_regulation_1182_71_counts_hours_of_the_local_clock():
    aware = datetime(2026, 10, 23, 14, 20, tzinfo=UTC)  # 19:50 in Kolkata (UTC+05:30)
    due = regulation_1182_71_deadline(aware, 72, "Asia/Kolkata")
    assert due.astimezone(ZoneInfo("Asia/Kolkata")).replace(tzinfo=None) == datetime(2026, 10, 26, 20, 0)


# --- one month (NIS2 final report) ---------------------------------------------------------------------------------

def test_one_month_is_the_same_date_next_month():
    assert wall(add_one_month(paris(2026, 10, 26, 13, 20))) == (2026, 11, 26, 13, 20)


def test_one_month_from_31_january_is_clamped_to_28_february():
    assert wall(add_one_month(paris(2027, 1, 31, 10, 0))) == (2027, 2, 28, 10, 0)


def test_one_month_from_31_january_of_a_leap_year_is_29_february():
    assert wall(add_one_month(paris(2028, 1, 31, 10, 0))) == (2028, 2, 29, 10, 0)


def test_one_month_from_december_is_january_next_year():
    assert wall(add_one_month(paris(2026, 12, 31, 23, 30))) == (2027, 1, 31, 23, 30)


def test_one_month_keeps_the_paris_wall_clock_across_dst():
    # 1 March 10:00 CET -> 1 April 10:00 CEST: 31 days minus one hour of elapsed time.
    start = paris(2026, 3, 1, 10, 0)
    assert add_one_month(start) - start == timedelta(days=31, hours=-1)


def test_one_month_landing_in_the_spring_gap_takes_the_earlier_reading():
    # 28 March 2027 02:30 does not exist in Paris; the safe (earlier) reading is 01:30 CET, i.e. 00:30 UTC.
    assert add_one_month(paris(2027, 2, 28, 2, 30)) == datetime(2027, 3, 28, 0, 30, tzinfo=UTC)


def test_one_month_landing_in_the_autumn_fold_takes_the_earlier_reading():
    # 25 October 2026 02:30 happens twice in Paris; the earlier is 02:30 CEST, i.e. 00:30 UTC.
    assert add_one_month(paris(2026, 9, 25, 2, 30)) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


# --- all clocks of a breach ----------------------------------------------------------------------------------------

AWARE = paris(2026, 10, 23, 14, 20)


def clocks_by_code(**kwargs):
    kwargs.setdefault("nis2_in_scope", True)
    kwargs.setdefault("now", AWARE + timedelta(hours=1))
    return {c.code: c for c in compute_clocks(AWARE, **kwargs)}


def test_clocks_in_order_with_labels_and_sources():
    clocks = compute_clocks(AWARE, nis2_in_scope=True, now=AWARE)
    assert [c.code for c in clocks] == ["cnil", "ars_cert_sante", "nis2_early_warning", "nis2_notification",
                                        "nis2_final_report"]
    assert all(c.label and c.source and translate(c.label, "en") != c.label for c in clocks)
    assert "33(1)" in clocks[0].source
    assert "L.1111-8-2" in clocks[1].source
    assert "23(4)(d)" in clocks[4].source


def test_no_nis2_clocks_when_out_of_scope():
    assert [c.code for c in compute_clocks(AWARE, nis2_in_scope=False, now=AWARE)] == ["cnil", "ars_cert_sante"]


def test_nis2_due_times():
    clocks = clocks_by_code()
    assert clocks["nis2_early_warning"].due == AWARE + timedelta(hours=24)
    assert clocks["nis2_notification"].due == AWARE + timedelta(hours=72)
    assert wall(clocks["nis2_final_report"].due) == (2026, 11, 26, 13, 20)


def test_nis2_final_report_runs_from_the_notification_actually_sent():
    sent = paris(2026, 10, 24, 9, 0)
    clocks = clocks_by_code(nis2_notification_sent_at=sent)
    assert wall(clocks["nis2_final_report"].due) == (2026, 11, 24, 9, 0)


def test_nis2_final_report_clamped_to_end_of_february():
    aware = paris(2027, 1, 28, 10, 0)  # notification due 31 January 10:00
    final = compute_clocks(aware, nis2_in_scope=True, now=aware)[-1]
    assert final.code == "nis2_final_report"
    assert wall(final.due) == (2027, 2, 28, 10, 0)


def test_pending_clock_counts_the_time_left():
    cnil = clocks_by_code(now=AWARE + timedelta(hours=70))["cnil"]
    assert (cnil.status, cnil.remaining, cnil.lateness) == ("pending", timedelta(hours=2), None)


def test_clock_is_still_pending_at_the_exact_deadline():
    cnil = clocks_by_code(now=AWARE + timedelta(hours=72))["cnil"]
    assert (cnil.status, cnil.remaining) == ("pending", timedelta(0))


def test_overdue_clock_counts_the_lateness():
    cnil = clocks_by_code(now=AWARE + timedelta(hours=75))["cnil"]
    assert (cnil.status, cnil.remaining, cnil.lateness) == ("overdue", None, timedelta(hours=3))


def test_done_on_time_and_done_late():
    clocks = clocks_by_code(cnil_sent_at=AWARE + timedelta(hours=71), nis2_early_warning_sent_at=AWARE
                            + timedelta(hours=30), now=AWARE + timedelta(hours=80))
    assert (clocks["cnil"].status, clocks["cnil"].lateness) == ("done_on_time", None)
    assert clocks["cnil"].done_at == AWARE + timedelta(hours=71)
    assert (clocks["nis2_early_warning"].status, clocks["nis2_early_warning"].lateness) == ("done_late",
                                                                                             timedelta(hours=6))


def test_done_at_given_in_another_zone_is_kept_as_utc():
    sent = (AWARE + timedelta(hours=1)).astimezone(PARIS)
    cnil = clocks_by_code(cnil_sent_at=sent)["cnil"]
    assert cnil.done_at == sent and cnil.done_at.tzinfo is UTC


def test_period_hours_moves_the_cnil_clock_only():
    clocks = clocks_by_code(period_hours=96, now=AWARE + timedelta(hours=80))
    assert (clocks["cnil"].status, clocks["cnil"].remaining) == ("pending", timedelta(hours=16))
    assert clocks["nis2_notification"].status == "overdue"


def test_ars_report_is_immediate_a_reminder_not_a_countdown():
    ars = clocks_by_code(now=AWARE + timedelta(minutes=30))["ars_cert_sante"]
    assert ars.immediate and ars.due == AWARE
    assert (ars.status, ars.remaining, ars.lateness) == ("overdue", None, timedelta(minutes=30))
    assert not clocks_by_code()["cnil"].immediate


def test_ars_report_made_is_never_late_since_no_hours_are_set():
    ars = clocks_by_code(ars_reported_at=AWARE + timedelta(days=2), now=AWARE + timedelta(days=3))["ars_cert_sante"]
    assert (ars.status, ars.lateness) == ("done_on_time", None)


def test_clocks_refuse_a_naive_now():
    with pytest.raises(DeadlineInputError, match="now"):
        compute_clocks(AWARE, nis2_in_scope=False, now=datetime(2026, 10, 23, 15, 0))


# --- reading what the user typed -----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["2026-10-23 14:20", "2026-10-23T14:20", "2026-10-23T14:20:00", "23/10/2026 14:20",
                                  "  23/10/2026   14:20 ", "2026-10-23T12:20Z", "2026-10-23T14:20+02:00",
                                  "2026-10-23 13:20:00+01:00"])
def test_accepted_formats_all_mean_the_same_instant(text):
    parsed = parse_local_timestamp(text)
    assert parsed.instant == datetime(2026, 10, 23, 12, 20, tzinfo=UTC)
    assert parsed.instant.tzinfo is UTC
    assert (parsed.ambiguous, parsed.note) == (False, None)


def test_local_time_is_read_in_the_given_zone():
    assert parse_local_timestamp("2026-10-23 14:20", "America/New_York").instant == datetime(2026, 10, 23, 18, 20,
                                                                                            tzinfo=UTC)


def test_seconds_are_kept():
    assert parse_local_timestamp("23/10/2026 14:20:05").instant == datetime(2026, 10, 23, 12, 20, 5, tzinfo=UTC)


@pytest.mark.parametrize("text", ["hello", "", "2026-13-01 10:00", "32/10/2026 14:20", "2026-10-23 25:00",
                                  "10/23/2026 14:20", "14:20"])
def test_invalid_text_is_refused(text):
    with pytest.raises(DeadlineInputError, match="date et heure illisibles") as error:
        parse_local_timestamp(text)
    assert "not a date and time" in error.value.message("en")


def test_date_without_time_is_refused_with_a_hint():
    with pytest.raises(DeadlineInputError, match="n'a pas d'heure") as error:
        parse_local_timestamp("2026-10-23")
    assert "no time of day" in error.value.message("en")


def test_unknown_time_zone_is_refused():
    with pytest.raises(DeadlineInputError, match="fuseau horaire inconnu\u00a0: Mars/Base") as error:
        parse_local_timestamp("2026-10-23 14:20", "Mars/Base")
    assert "unknown time zone: Mars/Base" in error.value.message("en")


def test_time_in_the_spring_forward_gap_is_refused():
    with pytest.raises(DeadlineInputError) as error:
        parse_local_timestamp("2026-03-29 02:30")
    assert error.value.message("en") == ("2026-03-29 02:30 does not exist in Europe/Paris (clocks jump from 02:00 "
                                         "to 03:00)")
    assert str(error.value) == ("2026-03-29 02:30 n'existe pas en Europe/Paris (les horloges passent de 02:00 à "
                                "03:00)")


def test_times_around_the_gap_are_accepted():
    assert parse_local_timestamp("2026-03-29 01:59").instant == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert parse_local_timestamp("2026-03-29 03:00").instant == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_time_in_the_autumn_fold_takes_the_earlier_instant_and_says_so():
    parsed = parse_local_timestamp("2026-10-25 02:30")
    assert parsed.instant == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST, not 02:30 CET
    assert parsed.ambiguous
    note = parsed.note.text("en")
    assert "occurs twice" in note and "from 03:00 to 02:00" in note and "earlier" in note
    assert "existe deux fois" in str(parsed.note) and "de 03:00 à 02:00" in str(parsed.note)


def test_time_in_the_fold_with_an_offset_is_not_ambiguous():
    parsed = parse_local_timestamp("2026-10-25T02:30+01:00")
    assert (parsed.instant, parsed.ambiguous) == (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), False)


def test_local_to_utc_applies_the_same_policy_for_web_forms():
    assert local_to_utc(datetime(2026, 10, 23, 14, 20)).instant == datetime(2026, 10, 23, 12, 20, tzinfo=UTC)
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), "Europe/Paris").ambiguous
    with pytest.raises(DeadlineInputError) as error:
        local_to_utc(datetime(2026, 3, 29, 2, 30), PARIS)
    assert "does not exist" in error.value.message("en")


def test_gap_message_names_the_jump_of_another_zone():
    with pytest.raises(DeadlineInputError) as error:
        local_to_utc(datetime(2026, 3, 8, 2, 15), "America/New_York")
    assert "clocks jump from 02:00 to 03:00" in error.value.message("en")
    with pytest.raises(DeadlineInputError) as error:
        local_to_utc(datetime(2026, 10, 4, 2, 10), "Australia/Lord_Howe")
    assert "clocks jump from 02:00 to 02:30" in error.value.message("en")


def test_nis2_early_warning_runs_24_elapsed_hours_across_the_autumn_change():
    """Directive 2022/2555 art. 23(4)(a): "within 24 hours"; the night of 24 to 25 October 2026 is an hour longer,
    so the warning is due at 11:00 on the Paris clock, not at the 12:00 the awareness was typed with."""
    aware = parse_local_timestamp("24/10/2026 12:00").instant
    clocks = {c.code: c for c in compute_clocks(aware, nis2_in_scope=True, now=aware)}
    assert wall(clocks["nis2_early_warning"].due) == (2026, 10, 25, 11, 0)
    assert wall(clocks["cnil"].due) == wall(clocks["nis2_notification"].due) == (2026, 10, 27, 11, 0)
    assert wall(clocks["nis2_final_report"].due) == (2026, 11, 27, 11, 0)


def test_an_awareness_typed_in_the_autumn_fold_takes_the_earlier_hour_and_the_earlier_deadline():
    """02:30 on 25 October 2026 happens twice in Paris: the first (CEST) is taken, so the 72 hours of GDPR
    art. 33(1) end at 01:30 CET on the 28th, an hour before the later reading would give."""
    parsed = parse_local_timestamp("2026-10-25 02:30")
    assert parsed.ambiguous and parsed.instant == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert wall(cnil_deadline(parsed.instant)) == (2026, 10, 28, 1, 30)
