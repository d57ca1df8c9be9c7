"""Every route of the case, against every role, on real rows (a task, an image in the vault, an exchange): a role
the permission table allows reaches the page or the form (never 403, never 404), any other gets 403.
tests/security/test_route_role_matrix.py checks every route of the app with ids that need not exist; this one also
proves that an allowed role gets past the organisation-scoped lookup."""

import io

import pytest

from notifier.accounts.roles import Role
from notifier.cases import services as cases
from notifier.extensions import db
from notifier.permissions import role_can


@pytest.fixture
def case_rows(aware_breach, dpo):
    from PIL import Image

    picture = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(picture, format="PNG")
    evidence = cases.add_evidence(aware_breach, dpo, filename="annonce.png", stream=io.BytesIO(picture.getvalue()),
                                  max_bytes=10**6)
    exchange = cases.add_exchange(aware_breach, dpo, direction="in", party="cnil", occurred_at="2026-11-02T10:00",
                                  subject="Demande de compléments", reply_by="2026-11-16T18:00")
    db.session.commit()
    return {"breach_id": aware_breach.id, "task_id": cases.tasks(aware_breach)[0].id, "evidence_id": evidence.id,
            "exchange_id": exchange.id}


def case_rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("cases.")]


def test_the_case_routes_are_the_ones_this_matrix_knows(app):
    assert {rule.endpoint for rule in case_rules(app)} == {
        "cases.show", "cases.add_task", "cases.update_task", "cases.upload", "cases.download", "cases.thumbnail",
        "cases.delete", "cases.add_event", "cases.add_exchange", "cases.answered", "cases.export_dossier",
        "cases.plan_template"}


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_each_role_reaches_exactly_the_case_routes_its_permissions_allow(app, case_rows, role, user_with_role,
                                                                         login_as):
    client = login_as(user_with_role(role))
    for rule in case_rules(app):
        permission = app.view_functions[rule.endpoint].permission
        url = rule.build({name: case_rows[name] for name in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            # The forms are posted empty (but for the token): refused by their validators (the answer to the
            # exchange, whose date is optional, is recorded by the first role allowed, then refused as done).
            response = client.open(url, method=method,
                                   data={"csrf_token": client.csrf_token or client.fetch_csrf_token()})
            if role_can(role, permission):
                assert response.status_code not in (403, 404), (role, rule.rule, method, response.status_code)
            else:
                assert response.status_code == 403, (role, rule.rule, method, response.status_code)
