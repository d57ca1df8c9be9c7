"""`notifier deadline`: the contract of docs/deadlines.md (options, JSON keys, exit status)."""

import json

import pytest
from click.testing import CliRunner

from notifier.breaches.cli import deadline_command


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests read the English messages (NOTIFIER_LANG=en); French is the default (tests/core/test_i18n.py)."""
    monkeypatch.setenv("NOTIFIER_LANG", "en")


def run(*args):
    return CliRunner().invoke(deadline_command, list(args))


def run_json(*args) -> dict:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_json_worked_example():
    data = run_json("--aware", "2026-10-23 14:20")
    assert data["aware_at"] == "2026-10-23T14:20:00+02:00"
    assert data["aware_at_utc"] == "2026-10-23T12:20:00+00:00"
    assert data["cnil_deadline"] == "2026-10-26T13:20:00+01:00"
    assert data["cnil_deadline_utc"] == "2026-10-26T12:20:00+00:00"
    assert data["regulation_1182_71_deadline"] == "2026-10-26T14:00:00+01:00"
    assert data["nis2"] == {"early_warning": "2026-10-24T14:20:00+02:00",
                            "notification": "2026-10-26T13:20:00+01:00",
                            "final_report": "2026-11-26T13:20:00+01:00"}
    assert data["ars_cert_sante"] == {"due": "2026-10-23T14:20:00+02:00", "immediate": True}
    assert (data["period_hours"], data["timezone"]) == (72, "Europe/Paris")
    assert (data["ambiguous_local_time"], data["note"]) == (False, None)


def test_json_with_96_hours_and_without_nis2():
    data = run_json("--aware", "23/10/2026 14:20", "--period-hours", "96", "--no-nis2")
    assert data["cnil_deadline"] == "2026-10-27T13:20:00+01:00"
    assert data["period_hours"] == 96
    assert data["nis2"] is None


def test_json_in_another_zone_and_with_an_explicit_offset():
    data = run_json("--aware", "2026-10-23T12:20Z", "--tz", "America/New_York")
    assert data["aware_at"] == "2026-10-23T08:20:00-04:00"
    assert data["cnil_deadline"] == "2026-10-26T08:20:00-04:00"
    assert data["timezone"] == "America/New_York"


def test_json_fold_is_resolved_earlier_and_noted():
    data = run_json("--aware", "2026-10-25 02:30")
    assert data["aware_at"] == "2026-10-25T02:30:00+02:00"
    assert data["ambiguous_local_time"] is True
    assert "occurs twice" in data["note"]


def test_human_summary(monkeypatch):
    monkeypatch.setenv("NOTIFIER_LANG", "fr")
    result = run("--aware", "2026-10-23 14:20")
    assert result.exit_code == 0
    assert "2026-10-26T13:20:00+01:00" in result.output
    assert "26 octobre 2026 à 13\u00a0h\u00a020" in result.output
    assert "1182/71" in result.output and "sans délai" in result.output and "NIS2" in result.output
    assert "note:" not in result.output


def test_human_summary_shows_the_fold_note_and_omits_nis2_when_asked():
    result = run("--aware", "2026-10-25 02:30", "--no-nis2")
    assert result.exit_code == 0
    assert "note: 2026-10-25 02:30 occurs twice" in result.output
    assert "NIS2" not in result.output


def test_nonexistent_local_time_exits_2_with_one_line():
    result = run("--aware", "2026-03-29 02:30", "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("error: 2026-03-29 02:30 does not exist in Europe/Paris "
                             "(clocks jump from 02:00 to 03:00)\n")


def test_not_a_date_exits_2_with_one_line():
    result = run("--aware", "next tuesday")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: not a date and time: 'next tuesday'")
    assert result.stderr.count("\n") == 1


def test_unknown_time_zone_exits_2_with_one_line():
    result = run("--aware", "2026-10-23 14:20", "--tz", "Europe/Atlantis")
    assert result.exit_code == 2
    assert result.stderr == "error: unknown time zone: Europe/Atlantis\n"


@pytest.fixture
def french_locale(monkeypatch):
    """No NOTIFIER_LANG and a locale that names no language: the messages are French, the source language."""
    monkeypatch.delenv("NOTIFIER_LANG", raising=False)
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def test_messages_are_french_without_a_language_setting(french_locale):
    result = run("--aware", "2026-10-23 14:20", "--tz", "Europe/Atlantis")
    assert (result.exit_code, result.stderr) == (2, "error: fuseau horaire inconnu\u00a0: Europe/Atlantis\n")
    result = run("--aware", "2026-10-25 02:30")
    assert "remarque\u00a0: 2026-10-25 02:30 existe deux fois en Europe/Paris" in result.output
    assert "Prise de connaissance" in result.output and "NIS2 rapport final" in result.output
    assert "awareness" not in result.output.lower() and "final report" not in result.output


def test_summary_is_english_when_asked():
    result = run("--aware", "2026-10-23 14:20")
    assert "Awareness" in result.output and "26 October 2026" in result.output and "without delay" in result.output
    assert "sans délai" not in result.output


def test_period_must_be_positive():
    assert run("--aware", "2026-10-23 14:20", "--period-hours", "0").exit_code == 2
