"""Dates, times and durations in French typography (and English)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from notifier.core.formatting import format_date, format_datetime, format_duration

NBSP = "\u00a0"


def test_french_datetime_in_paris_time_with_no_break_spaces_around_h():
    assert format_datetime(datetime(2026, 10, 26, 12, 20, tzinfo=UTC)) == f"26 octobre 2026 à 13{NBSP}h{NBSP}20"


def test_french_first_of_the_month_is_an_ordinal():
    assert format_datetime(datetime(2028, 3, 1, 9, 0, tzinfo=UTC), "fr") == f"1er mars 2028 à 10{NBSP}h{NBSP}00"


def test_french_day_has_no_leading_zero_and_hour_has_one():
    assert format_datetime(datetime(2026, 2, 2, 7, 5, tzinfo=UTC)) == f"2 février 2026 à 08{NBSP}h{NBSP}05"


def test_english_datetime():
    assert format_datetime(datetime(2026, 10, 26, 12, 20, tzinfo=UTC), "en") == "26 October 2026 at 13:20"
    assert format_datetime(datetime(2028, 3, 1, 9, 0, tzinfo=UTC), "en") == "1 March 2028 at 10:00"


def test_datetime_in_summer_time_and_in_another_zone():
    instant = datetime(2026, 7, 14, 8, 0, tzinfo=UTC)
    assert format_datetime(instant) == f"14 juillet 2026 à 10{NBSP}h{NBSP}00"
    assert format_datetime(instant, "en", tz="America/New_York") == "14 July 2026 at 04:00"


def test_date_is_read_in_paris_before_formatting():
    # 31 December 23:30 UTC is already New Year's Day in Paris.
    assert format_date(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "1er janvier 2027"


def test_dates():
    assert format_date(date(2028, 3, 1)) == "1er mars 2028"
    assert format_date(date(2026, 8, 15), "fr") == "15 août 2026"
    assert format_date(date(2028, 3, 1), "en") == "1 March 2028"


def test_regional_locales_and_unknown_languages():
    instant = datetime(2026, 10, 26, 12, 20, tzinfo=UTC)
    assert format_datetime(instant, "en_GB") == "26 October 2026 at 13:20"
    assert format_datetime(instant, "fr_FR") == format_datetime(instant, "de") == format_datetime(instant)


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="naive"):
        format_datetime(datetime(2026, 10, 26, 13, 20))


def test_duration_in_days_hours_and_minutes():
    td = timedelta(days=2, hours=5, minutes=3)
    assert format_duration(td) == f"2{NBSP}j 5{NBSP}h 03{NBSP}min"
    assert format_duration(td, "en") == f"2{NBSP}d 5{NBSP}h 03{NBSP}min"


def test_duration_under_a_day_omits_days():
    assert format_duration(timedelta(minutes=45)) == f"0{NBSP}h 45{NBSP}min"
    assert format_duration(timedelta(hours=23, minutes=59)) == f"23{NBSP}h 59{NBSP}min"


def test_duration_is_absolute_and_rounded_down_to_the_minute():
    assert format_duration(timedelta(hours=-3, minutes=-2)) == f"3{NBSP}h 02{NBSP}min"
    assert format_duration(timedelta(minutes=5, seconds=59)) == f"0{NBSP}h 05{NBSP}min"
    assert format_duration(timedelta(days=-1, seconds=30)) == f"23{NBSP}h 59{NBSP}min"
