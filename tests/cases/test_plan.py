"""The action plan of a breach: started from the organisation's template, tied to the clocks, on the dashboard."""

from datetime import UTC, datetime, timedelta

from notifier.cases import services as cases
from notifier.cases.models import CaseTask
from notifier.cases.rules import plan as plan_rules
from notifier.cases.states import TaskStatus
from notifier.extensions import db
from tests.cases.conftest import set_awareness


def _cnil_task(breach):
    return next(t for t in cases.tasks(breach) if t.anchor == "cnil" and t.offset_minutes == -360)


def test_a_new_breach_starts_with_the_default_health_plan(breach, dpo):
    tasks = cases.tasks(breach)
    assert [t.title for t in tasks] == [item.title for item in plan_rules.DEFAULT_PLAN]  # Lilas is in NIS2 scope
    assert all(t.status == TaskStatus.TODO for t in tasks)
    assert {t.owner.role for t in tasks if t.owner} <= {"dpo", "legal"}
    assert tasks[0].owner_id == dpo.id


def test_an_establishment_out_of_nis2_scope_gets_no_nis2_task(dpo, establishment):
    from notifier.breaches.services import create_breach

    establishment.nis2_in_scope = False
    db.session.commit()
    breach = create_breach(dpo, establishment)
    assert cases.tasks(breach)
    assert not any("NIS2" in t.title for t in cases.tasks(breach))


def test_a_task_tied_to_the_cnil_deadline_moves_when_awareness_is_corrected(aware_breach, dpo):
    task = _cnil_task(aware_breach)
    first = cases.task_due(task, cases.instants(aware_breach))
    # 14:20 Paris (UTC+2 in October) + 72 h - 6 h
    assert first == datetime(2026, 10, 23, 12, 20, tzinfo=UTC) + timedelta(hours=66)
    set_awareness(aware_breach, dpo, "2026-10-24T09:00")
    moved = cases.task_due(task, cases.instants(aware_breach))
    assert moved == datetime(2026, 10, 24, 7, 0, tzinfo=UTC) + timedelta(hours=66)
    assert cases.plan_view(aware_breach).lines[[line.task.id for line in cases.plan_view(aware_breach).lines]
                                               .index(task.id)].due == moved


def test_before_awareness_a_tied_task_has_no_due_date_yet(breach):
    assert cases.task_due(_cnil_task(breach), cases.instants(breach)) is None


def test_tasks_are_added_and_updated_with_an_audit_entry(aware_breach, dpo, legal):
    from notifier.audit.models import AuditEntry

    task = cases.add_task(aware_breach, dpo, title="Appeler l'assureur", owner_id=legal.id, anchor="aware",
                          offset="+2 j")
    assert cases.task_due(task, cases.instants(aware_breach)) == aware_breach.aware_at + timedelta(days=2)
    changed = cases.update_task(task, aware_breach, dpo, status=TaskStatus.DONE, notes="Fait par téléphone")
    assert changed == ["status", "notes"] and task.done_at is not None
    db.session.commit()
    actions = [e.action for e in AuditEntry.query.filter_by(breach_id=aware_breach.id)]
    assert "case.task_add" in actions and "case.task_update" in actions
    progress = cases.plan_view(aware_breach)
    assert progress.done == 1 and progress.total == len(plan_rules.DEFAULT_PLAN) + 1


def test_an_owner_of_another_organisation_is_refused(aware_breach, dpo, outsider):
    import pytest

    with pytest.raises(cases.CaseInputError):
        cases.add_task(aware_breach, dpo, title="x", owner_id=outsider.id)


def test_the_admins_template_applies_to_new_breaches_only(breach, dpo, admin, establishment):
    from notifier.breaches.services import create_breach

    before = len(cases.tasks(breach))
    cases.save_plan_template(admin, [
        {"title": "Prévenir la direction", "anchor": "aware", "offset": "+1 h", "owner_role": "dpo"},
        {"title": "", "anchor": "aware", "offset": "", "owner_role": "dpo"},
        {"title": "Notifier la CNIL", "anchor": "cnil", "offset": "-12 h", "owner_role": "legal"},
    ])
    db.session.commit()
    new = create_breach(dpo, establishment)
    assert [(t.title, t.anchor, t.offset_minutes) for t in cases.tasks(new)] == [
        ("Prévenir la direction", "aware", 60), ("Notifier la CNIL", "cnil", -720)]
    assert len(cases.tasks(breach)) == before
    cases.reset_plan_template(admin)
    assert cases.plan_template(admin.organisation_id) == list(plan_rules.DEFAULT_PLAN)


def test_the_dashboard_lists_my_tasks_due_or_overdue(aware_breach, dpo, dpo_client):
    mine = cases.my_tasks(dpo, now=datetime(2026, 10, 24, 12, 0, tzinfo=UTC))
    assert mine and all(line.task.owner_id == dpo.id for line in mine)
    assert any(line.overdue for line in mine)  # containment: awareness + 4 h
    page = dpo_client.get("/").get_data(as_text=True)
    assert "Mes tâches à échéance ou en retard" in page
    assert "Contenir l&#39;incident" in page or "Contenir l'incident" in page


def test_the_case_pages_forms_change_the_plan(aware_breach, dpo_client, legal):
    response = dpo_client.post(f"/breaches/{aware_breach.id}/case/tasks", data={
        "title": "Informer le conseil de surveillance", "owner_id": str(legal.id), "anchor": "cnil", "offset": "-1 j"})
    assert response.status_code == 302
    task = CaseTask.query.filter_by(title="Informer le conseil de surveillance").one()
    assert (task.anchor, task.offset_minutes, task.owner_id) == ("cnil", -1440, legal.id)
    response = dpo_client.post(f"/breaches/{aware_breach.id}/case/tasks/{task.id}",
                               data={"status": "in_progress", "owner_id": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseTask, task.id).status == "in_progress"
    assert db.session.get(CaseTask, task.id).owner_id is None
    refused = dpo_client.post(f"/breaches/{aware_breach.id}/case/tasks", data={"title": "x", "anchor": "cnil",
                                                                               "offset": "six heures"},
                              follow_redirects=True)
    assert "décalage illisible" in refused.get_data(as_text=True)
    page = dpo_client.get(f"/breaches/{aware_breach.id}").get_data(as_text=True)
    assert "Gestion du dossier" in page and "<progress" in page


def test_the_admin_edits_the_plan_template_in_the_browser(admin, login_as, breach):
    client = login_as(admin)
    page = client.get("/admin/plan-template")
    assert page.status_code == 200 and "Notifier la CNIL" in page.get_data(as_text=True)
    response = client.post("/admin/plan-template", data={
        "rows": "2", "title-0": "Notifier la CNIL (RGPD art. 33)", "anchor-0": "cnil", "offset-0": "-6 h",
        "owner_role-0": "dpo", "title-1": "Réunir la cellule de crise", "anchor-1": "aware", "offset-1": "+2 h",
        "owner_role-1": "dpo"})
    assert response.status_code == 302
    items = cases.plan_template(admin.organisation_id)
    assert [i.title for i in items] == ["Notifier la CNIL (RGPD art. 33)", "Réunir la cellule de crise"]
    assert items[0].title in {item.title for item in plan_rules.DEFAULT_PLAN}  # still the catalog's msgid


def test_a_typed_title_with_a_percent_sign_is_shown_as_typed(aware_breach, dpo, dpo_client):
    cases.add_task(aware_breach, dpo, title="Réduire de 50 % les accès au DPI", owner_id=dpo.id, anchor="aware",
                   offset="+1 h")
    db.session.commit()
    for url in (f"/breaches/{aware_breach.id}/case", f"/breaches/{aware_breach.id}", "/"):
        response = dpo_client.get(url)
        assert response.status_code == 200, url
    assert "Réduire de 50 % les accès au DPI" in dpo_client.get(f"/breaches/{aware_breach.id}/case").get_data(
        as_text=True)
    assert plan_rules.task_title(plan_rules.DEFAULT_PLAN[0].title, "en").startswith("Contain the incident")


def test_my_tasks_are_only_mine_open_and_due_within_two_days_overdue_marked(aware_breach, dpo, legal, login_as):
    aware = aware_breach.aware_at
    soon = cases.add_task(aware_breach, dpo, title="Rappeler le prestataire", owner_id=legal.id, anchor="aware",
                          offset="+30 h")
    later = cases.add_task(aware_breach, dpo, title="Bilan avec la direction", owner_id=legal.id, anchor="aware",
                           offset="+5 j")
    done = cases.add_task(aware_breach, dpo, title="Prévenir le standard", owner_id=legal.id, anchor="aware",
                          offset="+1 h")
    cases.update_task(done, aware_breach, dpo, status=TaskStatus.DONE)
    db.session.commit()
    now = aware + timedelta(hours=2)
    mine = {line.task.id: line for line in cases.my_tasks(legal, now=now)}
    assert soon.id in mine and not mine[soon.id].overdue
    assert later.id not in mine and done.id not in mine  # beyond 48 h / done
    assert all(line.task.owner_id == legal.id for line in mine.values())
    late = {line.task.id: line for line in cases.my_tasks(legal, now=aware + timedelta(hours=31))}
    assert late[soon.id].overdue
    page = login_as(legal).get("/").get_data(as_text=True)  # today, long after: every open task of mine is late
    assert "Mes tâches à échéance ou en retard" in page and "En retard" in page
    assert "Rappeler le prestataire" in page and "Prévenir le standard" not in page
    assert "Contenir l&#39;incident" not in page  # the DPO's task, not legal's


def test_a_task_has_exactly_the_four_statuses_of_the_issue(aware_breach, dpo_client):
    import re

    assert list(cases.TASK_STATUS_LABELS.values()) == ["à faire", "en cours", "fait", "sans objet"]
    assert [status.value for status in TaskStatus] == ["todo", "in_progress", "done", "not_applicable"]
    page = dpo_client.get(f"/breaches/{aware_breach.id}/case").get_data(as_text=True)
    first = re.search(r'<select id="status-\d+" name="status">(.*?)</select>', page).group(1)
    assert re.findall(r">([^<]+)</option>", first) == ["à faire", "en cours", "fait", "sans objet"]
    task = cases.tasks(aware_breach)[0]
    refused = dpo_client.post(f"/breaches/{aware_breach.id}/case/tasks/{task.id}", data={"status": "cancelled"},
                              follow_redirects=True)
    assert "Statut inconnu" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CaseTask, task.id).status == TaskStatus.TODO
