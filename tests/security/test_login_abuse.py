"""Issue 12, point 7: the login tells nothing about which accounts exist (same time, same page), nobody can lock
the DPO out for good (a growing delay, an admin always unlocks), and throttling counts the real client behind the
configured reverse proxy."""

import re
import statistics
import time
from datetime import timedelta

import pytest

from notifier.accounts import services as users
from notifier.accounts.models import User
from notifier.audit.models import AuditEntry
from notifier.core.types import utcnow
from notifier.extensions import db

WRONG = "not the password at all"


def fail_until_the_longest_delay(user) -> None:
    """Fail as soon as each delay allows, until the delay is the longest (15 min, from now on)."""
    now = utcnow() - timedelta(hours=3)
    for _ in range(16):
        users.authenticate(user.email, WRONG, now=now)
        now = (user.locked_until or now) + timedelta(milliseconds=1)
    users.authenticate(user.email, WRONG)


def normalised(page: str, email: str) -> str:
    page = re.sub(r'name="csrf_token"[^>]*value="[^"]+"', "csrf", page)
    return page.replace(email, "EMAIL")


def median_seconds(client, email: str, tries: int) -> float:
    durations = []
    for _ in range(tries):
        start = time.perf_counter()
        client.post("/login", data={"email": email, "password": WRONG})
        durations.append(time.perf_counter() - start)
    return statistics.median(durations)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_unknown_email_and_a_wrong_password_take_the_same_time(client, dpo):
    client.post("/login", data={"email": "warm@up.test", "password": WRONG})
    unknown = median_seconds(client, "nobody@lilas.test", 9)
    wrong_password = median_seconds(client, dpo.email, 9)
    assert 1 / 3 < unknown / wrong_password < 3, (unknown, wrong_password)


def test_every_refusal_gives_the_same_page(app, client, dpo, viewer, password, monkeypatch):
    frozen = utcnow()
    monkeypatch.setattr(users, "utcnow", lambda: frozen)  # the first delay is 1 s: no request may outlast it
    viewer.active = False
    db.session.commit()
    pages = {
        "unknown": normalised(client.post("/login", data={"email": "nobody@lilas.test", "password": WRONG})
                              .get_data(as_text=True), "nobody@lilas.test"),
        "inactive": normalised(client.post("/login", data={"email": viewer.email, "password": password})
                               .get_data(as_text=True), viewer.email),
    }
    for _ in range(5):
        wrong = client.post("/login", data={"email": dpo.email, "password": WRONG})
    pages["wrong password"] = normalised(wrong.get_data(as_text=True), dpo.email)
    delayed = client.post("/login", data={"email": dpo.email, "password": password})
    pages["delayed"] = normalised(delayed.get_data(as_text=True), dpo.email)
    assert len(set(pages.values())) == 1, pages.keys()
    assert "Courriel ou mot de passe incorrect." in pages["delayed"]


def test_after_five_failures_the_delay_doubles_at_each_failure_up_to_fifteen_minutes(app, dpo, password):
    now = utcnow()
    for _ in range(4):
        assert users.authenticate(dpo.email, WRONG, now=now) is None
    assert dpo.locked_until is None  # four failures: no delay yet
    delays = []
    for _ in range(13):
        users.authenticate(dpo.email, WRONG, now=now)
        delays.append(dpo.locked_until - now)
        now = dpo.locked_until + timedelta(milliseconds=1)  # try again as soon as allowed
    seconds = [int(delay.total_seconds()) for delay in delays]
    assert seconds == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]
    assert users.authenticate(dpo.email, password, now=now - timedelta(seconds=1)) is None  # still waiting
    assert users.authenticate(dpo.email, password, now=now) == dpo
    assert dpo.failed_logins == 0 and dpo.locked_until is None


def test_attempts_during_the_delay_neither_count_nor_lengthen_it(app, dpo, password):
    now = utcnow()
    for _ in range(5):
        users.authenticate(dpo.email, WRONG, now=now)
    until = dpo.locked_until
    for _ in range(50):
        assert users.authenticate(dpo.email, password, now=now) is None
    assert dpo.locked_until == until and dpo.failed_logins == 5


def test_any_account_gets_the_same_treatment_known_or_not(app, client, dpo):
    """The answer to the sixth try is the same for the DPO and for an address nobody has."""
    answers = {}
    for email in (dpo.email, "nobody@lilas.test"):
        for _ in range(6):
            page = client.post("/login", data={"email": email, "password": WRONG}).get_data(as_text=True)
        answers[email] = normalised(page, email)
    assert answers[dpo.email] == answers["nobody@lilas.test"]


def test_an_admin_unlocks_an_account_from_the_accounts_page(app, client, dpo, admin, password):
    fail_until_the_longest_delay(dpo)
    assert dpo.locked_until > utcnow() + timedelta(minutes=14)
    client.post("/login", data={"email": admin.email, "password": password})
    client.csrf_token = None
    assert f"/admin/users/{dpo.id}/unlock" in client.get("/admin/users").get_data(as_text=True)
    response = client.post(f"/admin/users/{dpo.id}/unlock", data={})
    assert response.status_code == 302
    db.session.refresh(dpo)
    assert dpo.locked_until is None and dpo.failed_logins == 0
    assert users.authenticate(dpo.email, password) == dpo
    entry = db.session.query(AuditEntry).filter_by(action="user.unlock").one()
    assert entry.user_email == admin.email and entry.object_id == str(dpo.id)


def test_the_unlock_command_lifts_the_delay_and_is_audited(app, dpo, password):
    fail_until_the_longest_delay(dpo)
    result = app.test_cli_runner().invoke(args=["user", "unlock", dpo.email])
    assert result.exit_code == 0, result.output
    db.session.refresh(dpo)
    assert dpo.locked_until is None
    assert db.session.query(AuditEntry).filter_by(action="user.unlock", object_id=str(dpo.id)).count() == 1


def throttled_app(tmp_path, proxies: int):
    from notifier import create_app

    url = f"sqlite:///{tmp_path / f'proxy{proxies}.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                      "STORAGE_DIR": str(tmp_path / "storage"), "SESSION_COOKIE_SECURE": False,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "TRUSTED_PROXIES": proxies})
    return app


def statuses_from(client, address: str, count: int) -> list[int]:
    return [client.post("/login", data={"email": f"guess{n}@example.org", "password": WRONG},
                        headers={"X-Forwarded-For": address}).status_code for n in range(count)]


def test_behind_the_trusted_proxy_each_client_address_is_throttled_apart(tmp_path):
    app = throttled_app(tmp_path, proxies=1)
    with app.app_context():
        db.create_all()
        client = app.test_client()
        assert statuses_from(client, "203.0.113.7", 11) == [200] * 10 + [429]  # the attacker
        assert statuses_from(client, "198.51.100.20", 1) == [200]  # everybody else behind the same proxy
        db.session.remove()
        db.engine.dispose()


def test_the_trusted_proxies_setting_defaults_to_none():
    from notifier.config import Defaults

    assert Defaults.TRUSTED_PROXIES == 0


def test_a_deactivated_account_is_refused_like_an_unknown_one(app, dpo, password):
    dpo.active = False
    db.session.commit()
    assert users.authenticate(dpo.email, password) is None
    assert db.session.get(User, dpo.id).failed_logins == 0
