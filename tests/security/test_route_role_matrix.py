"""Every URL rule of the app, checked against every role: a new route without a permission fails this suite."""

import pytest

from notifier.accounts.roles import Role
from notifier.core.web import PUBLIC
from notifier.permissions import role_can

SAMPLE_ARGUMENTS = {"code": "people", "lang": "fr", "filename": "app.css"}


def rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        yield rule


def build(rule, object_id):
    values = {}
    for name in rule.arguments:
        if name in (rule.defaults or {}):
            continue
        converter = rule._converters[name].__class__.__name__
        values[name] = object_id if converter == "IntegerConverter" else SAMPLE_ARGUMENTS.get(name, "x")
    return rule.build(values)[1]


def test_every_route_declares_a_permission(app):
    undeclared = [rule.endpoint for rule in rules(app)
                  if getattr(app.view_functions[rule.endpoint], "permission", None) is None]
    assert undeclared == []


def test_anonymous_users_reach_only_public_routes(app, client, breach):
    for rule in rules(app):
        permission = app.view_functions[rule.endpoint].permission
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(build(rule, breach.id), method=method,
                                   data={"csrf_token": client.csrf_token or client.fetch_csrf_token()})
            if permission == PUBLIC:
                continue
            assert response.status_code == 302 and "/login" in response.headers["Location"], (rule.rule, method)


@pytest.mark.parametrize("role", [role.value for role in Role])
def test_each_role_reaches_exactly_what_its_permissions_allow(app, breach, role, user_with_role, login_as):
    client = login_as(user_with_role(role))
    for rule in rules(app):
        permission = app.view_functions[rule.endpoint].permission
        if permission == PUBLIC or rule.endpoint == "auth.logout":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(build(rule, breach.id), method=method,
                                    data={"csrf_token": client.csrf_token or client.fetch_csrf_token()})
            allowed = role_can(role, permission)
            if allowed:
                assert response.status_code != 403, (role, rule.rule, method)
            else:
                assert response.status_code == 403, (role, rule.rule, method, response.status_code)


def test_another_organisations_breach_is_not_found(app, breach, login_as, password):
    from notifier.accounts.organisations import Organisation
    from notifier.accounts.services import add_user

    other = Organisation(name="Autre groupe")
    from notifier.extensions import db

    db.session.add(other)
    db.session.commit()
    outsider = add_user("dpo@autre.test", "dpo", password, organisation=other)
    client = login_as(outsider)
    assert client.get(f"/breaches/{breach.id}").status_code == 404
    assert client.get(f"/breaches/{breach.id}/export.json").status_code == 404


def test_the_public_routes_are_the_sign_in_pages_and_the_letter_verification_page(app):
    public = {rule.endpoint for rule in rules(app) if app.view_functions[rule.endpoint].permission == PUBLIC}
    assert public == {"auth.login", "auth.totp", "auth.logout", "auth.set_language",
                      "verification.verifier", "verification.verify"}


def test_the_hotline_role_reaches_its_desk_and_its_own_account_only(app):
    """Issue 17: a hotline user sees no breach form, no register, no export of patients."""
    reached = {rule.endpoint for rule in rules(app)
               if app.view_functions[rule.endpoint].permission not in (PUBLIC,)
               and role_can("hotline", app.view_functions[rule.endpoint].permission)}
    assert reached == {"hotline.index", "hotline.desk", "hotline.search", "hotline.log_call",
                       "auth.totp_setup", "auth.change_password", "auth.keep_session_alive"}
