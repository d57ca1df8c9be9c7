"""The wizard's rules without a browser: the order of the pages, what each step needs, the checklist, the nearest
open deadline."""

from datetime import UTC, datetime, timedelta

from notifier.breaches.rules import form
from notifier.breaches.rules.deadlines import compute_clocks
from notifier.breaches.rules.progress import (
    RISK_STEP,
    StepStatus,
    checklist,
    dashboard_key,
    nearest_open,
    neighbours,
    risk_state,
    step_state,
    step_states,
    wizard_order,
)

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
AWARE = NOW - timedelta(hours=6)


def test_the_risk_step_sits_before_information_and_after_measures():
    order = wizard_order()
    assert neighbours(RISK_STEP, order) == ("measures", "information")
    assert neighbours("measures", order)[1] == RISK_STEP
    assert neighbours("cnil_submission", order)[1] is None
    assert wizard_order(["a", "b"]) == ["a", "b", RISK_STEP]  # no information step: the risk step comes last
    assert RISK_STEP not in wizard_order(with_risk=False)


def test_a_step_lists_what_is_missing():
    state = step_state(form.STEP_BY_CODE["people"], {"people_count": 10}, touched=True)
    assert state.status == StepStatus.INCOMPLETE and state.missing == ("Catégories de personnes",)


def test_a_requirement_may_depend_on_another_answer():
    systems = form.STEP_BY_CODE["systems"]
    assert step_state(systems, {"systems": "DPI"}, touched=True).status == StepStatus.COMPLETE
    state = step_state(systems, {"systems": "DPI", "processors_involved": True}, touched=True)
    assert state.status == StepStatus.INCOMPLETE and "Sous-traitants" in state.missing[0]
    information = form.STEP_BY_CODE["information"]
    state = step_state(information, {"information_status": "will_not_be"}, touched=True)
    assert state.missing == ("Exception de l'article 34(3) ou justification",)


def test_a_step_never_saved_without_requirements_is_not_complete():
    other = form.STEP_BY_CODE["other_bodies"]
    assert step_state(other, form.empty_section(other), touched=False).status == StepStatus.INCOMPLETE
    assert step_state(other, form.empty_section(other), touched=True).status == StepStatus.COMPLETE


def test_a_refused_submission_or_a_broken_cross_step_rule_is_an_error():
    people = form.STEP_BY_CODE["people"]
    assert step_state(people, {}, touched=False, refused=True).status == StepStatus.ERROR
    sections = form.empty_sections()
    sections["cnil_submission"].update(cnil_sent_at=(AWARE + timedelta(hours=80)).isoformat(), cnil_reference="N")
    states = step_states(sections, touched={"cnil_submission"}, now=NOW + timedelta(days=4), aware_at=AWARE)
    assert states["cnil_submission"].status == StepStatus.ERROR
    assert states["cnil_submission"].errors == ("delay_reasons",)


def test_a_refused_submission_names_the_refused_fields_in_the_menu():
    sections = form.empty_sections()
    states = step_states(sections, touched=set(), refused={"contacts": ("contact_email", "contact_phone")},
                         now=NOW, aware_at=AWARE)
    assert states["contacts"].status == StepStatus.ERROR
    assert states["contacts"].missing == ("Courriel", "Téléphone")
    assert states["contacts"].note is None
    assert states["people"].status != StepStatus.ERROR


def test_the_risk_step_state_follows_the_decision():
    assert risk_state(None).status == StepStatus.INCOMPLETE
    assert risk_state({"to_review": True}).status == StepStatus.ERROR
    assert risk_state({"to_review": False}).status == StepStatus.COMPLETE


def clocks(**sent):
    return compute_clocks(AWARE, nis2_in_scope=True, now=NOW, **sent)


def test_the_nearest_open_deadline_skips_what_is_done():
    assert nearest_open(clocks()).code == "ars_cert_sante"  # "sans délai": due from awareness
    nearest = nearest_open(clocks(cnil_sent_at=NOW, ars_reported_at=NOW))
    assert nearest.code == "nis2_early_warning" and nearest.due == AWARE + timedelta(hours=24)
    assert nearest_open([]) is None


def test_the_dashboard_key_is_the_nearest_open_deadline_and_no_open_deadline_comes_last():
    overdue = dashboard_key(clocks(), aware_or_created=AWARE)  # the ARS report, due from awareness
    nis2_in_18_hours = dashboard_key(clocks(cnil_sent_at=NOW, ars_reported_at=NOW), aware_or_created=AWARE)
    everything_sent = dashboard_key(
        clocks(cnil_sent_at=NOW, ars_reported_at=NOW, nis2_early_warning_sent_at=NOW, nis2_notification_sent_at=NOW,
               nis2_final_report_sent_at=NOW), aware_or_created=AWARE)
    not_started = dashboard_key([], aware_or_created=NOW)
    assert sorted([not_started, everything_sent, nis2_in_18_hours, overdue]) == [
        overdue, nis2_in_18_hours, not_started, everything_sent]


def test_the_checklist_puts_open_duties_first_by_due_time():
    states = step_states(form.empty_sections(), touched=set(), now=NOW, aware_at=AWARE)
    todos = checklist(form.empty_sections(), states=states, clocks=clocks(cnil_sent_at=NOW), decision=None)
    codes = [todo.code for todo in todos]
    assert codes.index("ars") < codes.index("nis2_early_warning") < codes.index("nis2_notification")
    assert codes[-1] == "cnil" and todos[-1].done  # done items last
    assert "risk" in codes and "aware_at" in codes


def test_the_checklist_follows_the_risk_verdict():
    states = step_states(form.empty_sections(), touched=set(), now=NOW, aware_at=AWARE)
    verdict = {"notify_authority": False, "inform_subjects": True, "public_communication_required": False}
    todos = checklist(form.empty_sections(), states=states, clocks=clocks(), decision=verdict, patients=0,
                      letters_approved=False, letters_sent=0)
    codes = {todo.code for todo in todos}
    assert "cnil" not in codes  # the verdict says the CNIL need not be notified
    assert {"patients", "letter_approval", "letters", "information"} <= codes
