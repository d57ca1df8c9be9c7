"""Issue 12, point 1: a session ends server-side. A cookie kept before a logout, a password change or reset, a
deactivation or a role change opens nothing afterwards; and a session has an absolute lifetime however active."""

import pytest

from notifier.extensions import db


def log_in(client, user, password):
    response = client.post("/login", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    client.csrf_token = None
    return client


def refused(response) -> bool:
    return response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_cookie_kept_before_logout_no_longer_reads_the_export_after_it(app, client, dpo, breach, password):
    log_in(client, dpo, password)
    export = f"/breaches/{breach.id}/export.json"
    assert client.get(export).status_code == 200
    kept = client.get_cookie("session").value

    assert client.post("/logout", data={}).status_code == 302
    attacker = app.test_client()
    attacker.set_cookie("session", kept)
    assert refused(attacker.get(export))


def test_logout_ends_every_session_of_the_user(app, dpo, password):
    office, laptop = log_in(app.test_client(), dpo, password), log_in(app.test_client(), dpo, password)
    assert laptop.get("/").status_code == 200
    office.post("/logout", data={})
    assert refused(laptop.get("/"))


def test_a_password_reset_from_the_command_line_ends_every_session(app, client, dpo, breach, password):
    log_in(client, dpo, password)
    result = app.test_cli_runner().invoke(args=["user", "password", dpo.email])
    assert result.exit_code == 0, result.output
    assert refused(client.get(f"/breaches/{breach.id}/export.json"))


def test_a_password_reset_by_the_admin_ends_every_session_of_the_account(app, dpo, admin, password):
    victim = log_in(app.test_client(), dpo, password)
    log_in(app.test_client(), admin, password).post(f"/admin/users/{dpo.id}/password", data={})
    assert refused(victim.get("/"))


def test_changing_ones_own_password_ends_the_other_sessions_and_keeps_this_one(app, dpo, password):
    here, elsewhere = log_in(app.test_client(), dpo, password), log_in(app.test_client(), dpo, password)
    response = here.post("/account/password", data={
        "current": password, "new": "Une autre phrase de passe, bien longue", "confirm":
        "Une autre phrase de passe, bien longue"})
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert refused(elsewhere.get("/"))


def test_deactivating_an_account_ends_its_sessions(app, dpo, admin, password):
    victim = log_in(app.test_client(), dpo, password)
    assert log_in(app.test_client(), admin, password).post(f"/admin/users/{dpo.id}/active", data={}).status_code == 302
    db.session.refresh(dpo)
    assert dpo.active is False
    dpo.active = True  # reactivated at once: the old session must stay dead all the same
    db.session.commit()
    assert refused(victim.get("/"))


def test_a_role_change_ends_every_session_of_the_user(app, client, dpo, breach, password):
    log_in(client, dpo, password)
    dpo.role = "viewer"
    db.session.commit()
    assert refused(client.get(f"/breaches/{breach.id}/export.json"))


@pytest.mark.parametrize("backend", ["sqlite"])  # the check is on the cookie, not the database
def test_a_session_ends_after_its_absolute_lifetime_even_when_active(app, client, dpo, password):
    app.config["SESSION_ABSOLUTE_LIFETIME"] = 3600
    log_in(client, dpo, password)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["login_at"] -= 3500  # opened 58 min 20 s ago, active all along (margin for a slow machine)
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["login_at"] -= 200
    assert refused(client.get("/"))


def test_the_absolute_lifetime_is_twelve_hours_by_default_and_can_be_set(tmp_path, monkeypatch):
    from notifier import create_app
    from notifier.config import Defaults

    assert Defaults.SESSION_ABSOLUTE_LIFETIME == 43200
    monkeypatch.setenv("NOTIFIER_SESSION_ABSOLUTE_LIFETIME", "600")
    url = f"sqlite:///{tmp_path / 'x.db'}"
    app = create_app({"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                      "STORAGE_DIR": str(tmp_path / "storage")})
    assert app.config["SESSION_ABSOLUTE_LIFETIME"] == 600


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_session_without_its_epoch_is_refused(app, client, dpo, password):
    """A cookie signed before this version (no epoch in it) or forged without one opens nothing."""
    log_in(client, dpo, password)
    with client.session_transaction() as session:
        del session["epoch"]
    assert refused(client.get("/"))
