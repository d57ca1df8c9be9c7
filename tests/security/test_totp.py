"""Issue 12, point 8: a TOTP code opens one session only, wrong codes are counted and delayed per account like
passwords, and replacing the second factor asks for the password and a current code."""

import pyotp
import pytest

from notifier.accounts import services as users
from notifier.extensions import db


@pytest.fixture
def secret(dpo):
    dpo.totp_secret = pyotp.random_base32()
    db.session.commit()
    return dpo.totp_secret


def password_then_code(client, user, password, code):
    client.csrf_token = None
    assert client.post("/login", data={"email": user.email, "password": password}).status_code == 302
    client.csrf_token = None
    return client.post("/login/totp", data={"code": code})


def test_a_code_cannot_be_used_twice_in_its_window(app, client, dpo, password, secret):
    code = pyotp.TOTP(secret).now()
    assert password_then_code(client, dpo, password, code).status_code == 302
    assert client.get("/").status_code == 200
    client.post("/logout", data={})

    thief = app.test_client()  # saw the code over the DPO's shoulder, and has the password
    response = password_then_code(thief, dpo, password, code)
    assert response.status_code == 200 and "Code incorrect" in response.get_data(as_text=True)
    assert thief.get("/").status_code == 302


def test_a_code_older_than_the_last_accepted_one_is_refused(app, dpo, secret):
    totp, now = pyotp.TOTP(secret), 1_800_000_000.0
    assert users.check_totp(dpo.id, totp.at(now + 30), at=now) == dpo  # the next step (clock drift)
    assert users.check_totp(dpo.id, totp.at(now), at=now) is None  # an earlier step, still inside the window
    assert users.check_totp(dpo.id, totp.at(now + 60), at=now + 60) == dpo  # a later one is fine


def test_wrong_codes_are_counted_per_account_and_delay_the_next_tries(app, dpo, secret, monkeypatch):
    frozen = users.utcnow()
    monkeypatch.setattr(users, "utcnow", lambda: frozen)  # the first delay is 1 s: no call may outlast it
    totp, now = pyotp.TOTP(secret), 1_800_000_000.0
    wrong = str((int(totp.at(now)) + 1) % 1_000_000).zfill(6)
    for _ in range(5):
        assert users.check_totp(dpo.id, wrong, at=now) is None
    assert dpo.failed_totp == 5 and dpo.totp_locked_until is not None
    assert users.check_totp(dpo.id, totp.at(now), at=now) is None  # even the right code waits
    users.unlock(dpo)
    assert users.check_totp(dpo.id, totp.at(now), at=now) == dpo
    assert dpo.failed_totp == 0


def test_a_correct_password_does_not_reset_the_count_of_wrong_codes(app, client, dpo, password, secret):
    for _ in range(3):
        password_then_code(client, dpo, password, "000000" if pyotp.TOTP(secret).now() != "000000" else "111111")
    db.session.refresh(dpo)
    assert dpo.failed_totp == 3


def test_replacing_the_second_factor_asks_for_the_password_and_a_current_code(dpo_client, dpo, password, secret):
    page = dpo_client.get("/account/totp").get_data(as_text=True)
    assert 'name="password"' in page and 'name="current_code"' in page
    new_secret = page.split("<code>")[1].split("</code>")[0]

    response = dpo_client.post("/account/totp", data={"code": pyotp.TOTP(new_secret).now()})
    assert response.status_code == 200
    assert "la double authentification n'a pas été changée" in response.get_data(as_text=True).replace("&#39;", "'")
    db.session.refresh(dpo)
    assert dpo.totp_secret == secret

    response = dpo_client.post("/account/totp", data={"code": pyotp.TOTP(new_secret).now(), "password": "wrong!",
                                                      "current_code": pyotp.TOTP(secret).now()})
    db.session.refresh(dpo)
    assert dpo.totp_secret == secret

    response = dpo_client.post("/account/totp", data={"code": pyotp.TOTP(new_secret).now(), "password": password,
                                                      "current_code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    db.session.refresh(dpo)
    assert dpo.totp_secret == new_secret
