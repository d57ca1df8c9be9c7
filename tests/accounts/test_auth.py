"""Logging in and out, lock-out after repeated failures, and what every response carries."""

import pytest


def test_pages_need_a_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_then_dashboard(client, dpo, password):
    response = client.post("/login", data={"email": dpo.email, "password": password})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client, dpo):
    response = client.post("/login", data={"email": dpo.email, "password": "wrong password!"})
    assert response.status_code == 200
    assert "Courriel ou mot de passe incorrect" in response.get_data(as_text=True)


def test_the_account_waits_after_five_failures(client, dpo, password, monkeypatch):
    """Five failures start a delay (growing, tests/security/test_login_abuse.py): even the right password is
    refused meanwhile, with the one message every refusal gets."""
    from notifier.accounts import services
    from notifier.core.types import utcnow

    frozen = utcnow()
    monkeypatch.setattr(services, "utcnow", lambda: frozen)  # the first delay is 1 s: no request may outlast it
    for _ in range(5):
        client.post("/login", data={"email": dpo.email, "password": "wrong password!"})
    response = client.post("/login", data={"email": dpo.email, "password": password})
    assert "un délai croissant" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_login_attempts_are_throttled_per_address_with_a_message_in_french(tmp_path):
    """An app of its own: the limiter counts in memory, and the shared test app has it off."""
    from notifier import create_app
    from notifier.extensions import db

    url = f"sqlite:///{tmp_path / 'throttle.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                      "STORAGE_DIR": str(tmp_path / "storage"), "SESSION_COOKIE_SECURE": False,
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True})
    with app.app_context():
        db.create_all()
        client = app.test_client()
        statuses = [client.post("/login", data={"email": f"guess{n}@example.org", "password": "wrong password!"})
                    .status_code for n in range(11)]  # another account each time: the lock-out is not what stops it
        assert statuses == [200] * 10 + [429]
        page = client.post("/login", data={"email": "guess@example.org", "password": "x"}).get_data(as_text=True)
        assert "Trop de tentatives depuis votre poste\u00a0: réessayez dans une minute." in page
        assert client.get("/login").status_code == 200  # only the attempts are limited, not the page
        db.session.remove()
        db.engine.dispose()


def test_an_unexpected_error_shows_a_page_that_says_nothing_of_it(app, client, dpo, password, monkeypatch):
    from notifier.breaches import views as breaches

    def broken(*args, **kwargs):
        raise RuntimeError("internal detail")

    client.post("/login", data={"email": dpo.email, "password": password})
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the error page, not the exception
    monkeypatch.setattr(breaches, "render_template", broken)
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Une erreur inattendue est survenue\u00a0; elle a été consignée." in page and "internal detail" not in page


def test_login_only_redirects_to_local_pages(client, dpo, password):
    response = client.post("/login?next=https://evil.example/", data={"email": dpo.email, "password": password})
    assert response.headers["Location"] == "/"


def test_a_post_without_csrf_token_is_refused(dpo_client, breach):
    response = dpo_client.post(f"/breaches/{breach.id}/steps/people", data={"people_count": "3"}, csrf=False)
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)


def test_logout_ends_the_session(dpo_client):
    assert dpo_client.post("/logout", data={}).status_code == 302
    assert dpo_client.get("/").status_code == 302


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_flags(app, client, dpo, password):
    response = client.post("/login", data={"email": dpo.email, "password": password})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert app.config["SESSION_COOKIE_SECURE"] is False  # tests run over http; the default is True


@pytest.mark.parametrize("backend", ["sqlite"])  # the session lives in the cookie, not the database
def test_a_session_expires_after_inactivity_even_if_the_browser_keeps_the_cookie(app, client, dpo, password):
    """The session cookie is re-signed at each request; the server refuses one signed longer ago than
    PERMANENT_SESSION_LIFETIME (30 min by default), whatever the browser does with the cookie's expiry."""
    import time
    from datetime import timedelta

    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(seconds=2)
    client.post("/login", data={"email": dpo.email, "password": password})
    assert client.get("/").status_code == 200
    time.sleep(1.2)
    assert client.get("/").status_code == 200  # activity keeps it alive...
    time.sleep(1.2)
    assert client.get("/").status_code == 200
    kept = client.get_cookie("session").value
    time.sleep(3.1)  # ...inactivity ends it, even with the cookie sent again as if the browser had kept it
    client.set_cookie("session", kept)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_inactivity_expiry_is_thirty_minutes_by_default():
    from datetime import timedelta

    from notifier.config import Defaults

    assert Defaults.PERMANENT_SESSION_LIFETIME == timedelta(minutes=30) and Defaults.SESSION_REFRESH_EACH_REQUEST


def test_secure_cookies_are_the_default():
    from notifier.config import Defaults

    assert Defaults.SESSION_COOKIE_SECURE is True


def test_a_second_factor_is_required_once_enabled(client, dpo, password):
    import pyotp

    from notifier.extensions import db

    dpo.totp_secret = pyotp.random_base32()
    db.session.commit()
    response = client.post("/login", data={"email": dpo.email, "password": password})
    assert response.headers["Location"].endswith("/login/totp")
    assert client.get("/").status_code == 302  # the password alone opens nothing
    client.csrf_token = None
    assert "Code incorrect" in client.post("/login/totp", data={"code": "000000"}).get_data(as_text=True)
    client.csrf_token = None
    response = client.post("/login/totp", data={"code": pyotp.TOTP(dpo.totp_secret).now()})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_setting_up_the_second_factor(dpo_client, dpo):
    import pyotp

    from notifier.extensions import db

    page = dpo_client.get("/account/totp").get_data(as_text=True)
    secret = page.split("<code>")[1].split("</code>")[0]
    response = dpo_client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 302
    db.session.refresh(dpo)
    assert dpo.totp_secret == secret
