"""The action plan's pure rules: offsets as people type them, due dates tied to clocks, the default health plan."""

from datetime import UTC, datetime, timedelta

import pytest

from notifier.cases.rules import plan, reminders

AWARE = datetime(2026, 10, 23, 12, 20, tzinfo=UTC)


@pytest.mark.parametrize(("typed", "minutes"), [
    ("-6", -360), ("-6 h", -360), ("+24h", 1440), ("2 j", 2880), ("2 d", 2880), ("-30 min", -30), ("", 0),
    ("1,5 h", 90)])
def test_an_offset_is_read_as_people_type_it(typed, minutes):
    assert plan.parse_offset(typed) == minutes


@pytest.mark.parametrize("typed", ["six heures", "-6 semaines", "9999999 h", "1e3"])
def test_an_unreadable_or_huge_offset_is_refused_with_a_message_in_each_language(typed):
    with pytest.raises(plan.PlanInputError) as refused:
        plan.parse_offset(typed)
    assert refused.value.message("fr") != refused.value.message("en")


def test_an_offset_is_written_back_as_it_is_typed():
    assert [plan.format_offset(m) for m in (-360, 1440, 2880, -30, 0)] == ["-6 h", "+24 h", "+2 j", "-30 min",
                                                                         "+0 h"]
    assert plan.parse_offset(plan.format_offset(-4320)) == -4320


def test_a_due_date_tied_to_the_cnil_clock_follows_it():
    instants = plan.anchor_instants(AWARE, {"cnil": AWARE + timedelta(hours=72)})
    due = plan.due_at(absolute=None, anchor="cnil", offset_minutes=-360, instants=instants)
    assert due == AWARE + timedelta(hours=66)
    later = plan.anchor_instants(AWARE + timedelta(hours=5), {"cnil": AWARE + timedelta(hours=77)})
    assert plan.due_at(absolute=None, anchor="cnil", offset_minutes=-360, instants=later) == AWARE + timedelta(hours=71)


def test_an_absolute_date_wins_and_an_unknown_clock_gives_no_date_yet():
    fixed = datetime(2026, 11, 1, 9, tzinfo=UTC)
    assert plan.due_at(absolute=fixed, anchor="cnil", offset_minutes=0, instants={}) == fixed
    assert plan.due_at(absolute=None, anchor="nis2_notification", offset_minutes=0,
                       instants=plan.anchor_instants(AWARE, {})) is None
    assert plan.due_at(absolute=None, anchor="aware", offset_minutes=60, instants={}) is None


def test_the_default_plan_covers_a_health_establishments_duties_and_nis2_only_in_scope():
    titles = " ".join(item.title for item in plan.DEFAULT_PLAN)
    for duty in ("preuves", "plainte", "CNIL", "ARS / CERT Santé", "NIS2", "patients", "courriers",
                 "ligne d'écoute", "complémentaire", "publication", "Retour d'expérience"):
        assert duty in titles, duty
    in_scope = plan.items_for(plan.DEFAULT_PLAN, nis2_in_scope=True)
    out_of_scope = plan.items_for(plan.DEFAULT_PLAN, nis2_in_scope=False)
    assert len(in_scope) == len(plan.DEFAULT_PLAN)
    assert not any("NIS2" in item.title for item in out_of_scope)
    for item in plan.DEFAULT_PLAN:
        plan.check_item(item.title, item.anchor, item.offset_minutes, item.owner_role)


def test_a_task_reminder_comes_a_day_before_then_when_due():
    due = AWARE + timedelta(hours=48)
    assert reminders.task_stage(due, due - timedelta(hours=25)) is None
    assert reminders.task_stage(due, due - timedelta(hours=23)) == "before"
    assert reminders.task_stage(due, due) == "due"
    assert reminders.task_stage(due, due + timedelta(days=8)) is None
    assert reminders.task_stage(None, due) is None


def test_a_clock_reminder_is_the_tightest_threshold_reached():
    due = AWARE + timedelta(hours=72)
    assert reminders.clock_stage(due, due - timedelta(hours=30)) is None
    assert reminders.clock_stage(due, due - timedelta(hours=20)) == 24
    assert reminders.clock_stage(due, due - timedelta(hours=5)) == 6
    assert reminders.clock_stage(due, due - timedelta(minutes=30)) == 1
    assert reminders.clock_stage(due, due + timedelta(minutes=1)) == 0


def test_the_default_plan_covers_every_item_the_issue_lists():
    """Issue 16, point 1: contain and preserve evidence, police complaint, CNIL notification, ARS / CERT Santé
    report, NIS2 stages when in scope, decide on informing patients, letters, hotline, complementary notification,
    watch for the data being sold or published, lessons learnt."""
    from notifier.cases.rules.plan import DEFAULT_PLAN

    titles = [item.title for item in DEFAULT_PLAN]

    def one(*words):
        found = [title for title in titles if all(word in title for word in words)]
        assert len(found) == 1, (words, found)
        return next(item for item in DEFAULT_PLAN if item.title == found[0])

    one("Contenir", "préserver les preuves")
    one("Déposer plainte")
    cnil = one("Notifier la CNIL")
    assert (cnil.anchor, cnil.offset_minutes) == ("cnil", -6 * 60)
    one("ARS / CERT Santé")
    nis2 = [item for item in DEFAULT_PLAN if item.nis2_only]
    assert [item.anchor for item in nis2] == ["nis2_early_warning", "nis2_notification", "nis2_final_report"]
    assert all("NIS2" in item.title for item in nis2) and not any("NIS2" in t.title for t in DEFAULT_PLAN
                                                                  if not t.nis2_only)
    one("Décider de l'information des patients")
    one("courriers aux patients")
    one("ligne d'écoute")
    one("notification complémentaire")
    one("mise en vente", "publication")
    one("Retour d'expérience")
