"""A form sent after the session ended goes back to the login page, then to the page it came from, and says that
the browser kept what was typed; while someone types, the page keeps the session alive."""
from datetime import timedelta

from notifier.extensions import db


def expire_session(client) -> None:
    """What the browser does once the idle limit is past: the session cookie is gone."""
    client.delete_cookie("session")


def test_a_step_sent_after_the_session_ended_goes_to_the_login_page_then_back_to_the_step(dpo_client, breach):
    step = f"/breaches/{breach.id}/steps/people"
    dpo_client.get(step)
    expire_session(dpo_client)
    response = dpo_client.post(step, data={"people_count": "758912", "version": breach.version, "go": "next"},
                               headers={"Referer": f"http://localhost{step}"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next=/breaches/{breach.id}/steps/people"
    page = dpo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Votre session a expiré" in page and "ce navigateur l&#39;a gardé" in page
    db.session.refresh(breach)
    assert breach.sections["people"]["people_count"] is None  # nothing was saved without a session


def test_the_way_back_is_never_another_site(dpo_client, breach):
    step = f"/breaches/{breach.id}/steps/people"
    expire_session(dpo_client)
    response = dpo_client.post(step, data={"people_count": "1", "version": breach.version, "go": "next"},
                               headers={"Referer": "https://evil.example/phish"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_an_unauthenticated_post_with_a_valid_token_is_sent_to_the_login_page_too(client, breach):
    client.fetch_csrf_token()  # a token of this (anonymous) session: CSRF passes, the access check answers
    response = client.post(f"/breaches/{breach.id}/steps/people", data={"people_count": "1", "go": "next"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_a_login_form_sent_with_an_expired_token_still_gets_the_csrf_page(client):
    response = client.post("/login", data={"email": "a@b.test", "password": "x"}, csrf=False)
    assert response.status_code == 400
    assert "protection CSRF" in response.get_data(as_text=True)


def test_typing_keeps_the_session_alive_and_an_ended_one_goes_to_the_login(app, dpo_client):
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(minutes=30)
    response = dpo_client.get("/session/keepalive")
    assert response.status_code == 204
    assert "session=" in response.headers.get("Set-Cookie", "")  # the idle limit starts again
    expire_session(dpo_client)
    response = dpo_client.get("/session/keepalive")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_another_form_sent_after_the_session_ended_says_to_send_it_again(dpo_client, breach):
    dpo_client.get("/")
    expire_session(dpo_client)
    response = dpo_client.post("/account/password", data={"current": "x"},
                               headers={"Referer": "http://localhost/account/password"})
    assert response.status_code == 302 and response.headers["Location"] == "/login?next=/account/password"
    page = dpo_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "envoyez de nouveau le formulaire" in page and "navigateur" not in page


def test_the_language_chosen_on_the_login_page_survives_the_login_and_is_kept_for_the_next_one(client, dpo):
    from tests.conftest import login

    client.fetch_csrf_token()
    client.post("/lang/en", data={"next": "/login"})
    login(client, dpo)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
    db.session.refresh(dpo)
    assert dpo.language == "en"
    client.post("/logout", data={})
    client.delete_cookie("session")  # another browser, another day: the account's choice is used
    client.csrf_token = None
    login(client, dpo)
    assert 'lang="en"' in client.get("/").get_data(as_text=True)
