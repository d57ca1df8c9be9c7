"""The awareness time against the other dates of the record (notifier.breaches.rules.awareness): never before the
breach began or was discovered (refused); well after the processor's alert, a warning, since the controller is aware
once its processor informed it (GDPR art. 33(2); WP250 rev.01 section II.A.4); before the alert, nothing to say."""

from datetime import UTC, datetime, timedelta

from notifier.breaches.rules import awareness, form
from notifier.breaches.rules.progress import StepStatus, step_states

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
ALERT = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)  # 17:00 in Paris


def record(*, aware: datetime | None, alert: datetime | None = ALERT, **dates) -> dict:
    sections = form.empty_sections()
    sections["dates"].update(aware_at=aware.isoformat() if aware else None,
                             **{name: value.isoformat() for name, value in dates.items()})
    sections["systems"].update(processors_involved=True, processor_name="InfoSanté Services",
                               processor_alerted_at=alert.isoformat() if alert else None)
    return sections


def dates_errors(**values) -> dict:
    step = form.STEP_BY_CODE["dates"]
    section = {**form.empty_section(step), **{name: value.isoformat() for name, value in values.items()}}
    return {name: error.code for name, error in form.check_step(step, section, now=NOW).items()}


def test_awareness_before_the_breach_began_is_refused_even_when_the_discovery_is_not_dated():
    assert dates_errors(started_at=ALERT, aware_at=ALERT - timedelta(hours=1)) == {"aware_at": "before_start"}
    assert dates_errors(started_at=ALERT, aware_at=ALERT) == {}


def test_awareness_before_the_discovery_is_refused():
    assert dates_errors(discovered_at=ALERT, aware_at=ALERT - timedelta(minutes=5)) == {"aware_at": "before_discovery"}
    assert awareness.order_errors(None, None, ALERT) == {}


def test_awareness_before_the_processors_alert_is_possible_and_says_nothing():
    """The establishment found out first: its 72 hours run from its own awareness."""
    assert awareness.awareness_warnings(record(aware=ALERT - timedelta(days=1))) == []


def test_awareness_a_short_time_after_the_alert_says_nothing():
    assert awareness.awareness_warnings(record(aware=ALERT + awareness.PROCESSOR_ALERT_GRACE)) == []


def test_awareness_long_after_the_processors_alert_is_a_warning_with_the_deadline_from_the_alert():
    (warning,) = awareness.awareness_warnings(record(aware=ALERT + timedelta(hours=40)))
    assert (warning.code, warning.step, warning.field) == ("aware_long_after_processor_alert", "dates", "aware_at")
    text = warning.text("fr")
    assert "1\u00a0j 16\u00a0h 00\u00a0min après l'alerte du sous-traitant" in text
    assert "WP250 rev.01, section II.A.4" in text and "RGPD art. 33(2)" in text
    # 72 hours from the alert (27 November, 17:00 in Paris)
    assert "les 72 h finiraient le 30 novembre 2026 à 17\u00a0h\u00a000" in text
    english = warning.text("en")
    assert "after the processor's alert" in english and "GDPR art. 33(2)" in english


def test_an_alert_without_any_awareness_time_says_when_the_establishment_was_aware_at_the_latest():
    (warning,) = awareness.awareness_warnings(record(aware=None))
    assert warning.code == "aware_unknown_processor_alerted"
    assert "au plus tard le 27 novembre 2026 à 17\u00a0h\u00a000" in warning.text("fr")


def test_no_alert_no_warning():
    assert awareness.awareness_warnings(record(aware=ALERT, alert=None)) == []


def test_the_wizard_menu_shows_the_warning_on_the_dates_step_which_stays_saved_and_complete():
    aware = ALERT + timedelta(hours=40)
    sections = record(aware=aware, started_at=ALERT - timedelta(days=2), discovered_at=ALERT)
    sections["dates"].update(ended_at=(ALERT - timedelta(days=1)).isoformat(),
                             discovery_circumstances="Alerte du sous-traitant.")
    states = step_states(sections, touched={"dates", "systems"}, now=NOW, aware_at=aware)
    dates = states["dates"]
    assert dates.status == StepStatus.COMPLETE and dates.errors == ()
    assert dates.warnings == ("aware_long_after_processor_alert",)
    assert dates.note == awareness.MENU_NOTE
    assert states["systems"].warnings == ()


def test_the_breach_pages_checklist_asks_to_check_the_awareness_time_too():
    from notifier.breaches.rules.progress import checklist

    aware = ALERT + timedelta(hours=40)
    sections = record(aware=aware, started_at=ALERT - timedelta(days=2), discovered_at=ALERT)
    states = step_states(sections, touched={"dates", "systems"}, now=NOW, aware_at=aware)
    todos = {todo.code: todo for todo in checklist(sections, states=states, clocks=[], decision=None)}
    assert todos["awareness_check"].text == awareness.MENU_NOTE and todos["awareness_check"].target == "dates"
    on_time = record(aware=ALERT + timedelta(hours=1), started_at=ALERT - timedelta(days=2), discovered_at=ALERT)
    states = step_states(on_time, touched={"dates", "systems"}, now=NOW, aware_at=ALERT + timedelta(hours=1))
    assert "awareness_check" not in {todo.code for todo in checklist(on_time, states=states, clocks=[], decision=None)}
