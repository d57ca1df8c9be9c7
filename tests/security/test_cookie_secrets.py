"""Issue 12, point 9: the session cookie is signed, not encrypted: whoever holds it reads it. Neither an initial
password nor a TOTP secret being set up may travel in it; they stay server-side and the cookie carries an id."""

import json
import re

from notifier.extensions import db


def cookie_contents(app, client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    serializer = app.session_interface.get_signing_serializer(app)
    return json.dumps(serializer.loads(cookie.value), ensure_ascii=False, default=str)


def test_the_initial_password_never_travels_in_the_cookie_and_is_shown_once(app, client, admin, password):
    client.post("/login", data={"email": admin.email, "password": password})
    client.csrf_token = None
    response = client.post("/admin/users", data={"email": "nouveau@clinique-lilas.fr", "role": "legal", "name": ""})
    assert response.status_code == 302
    carried = cookie_contents(app, client)
    page = client.get("/admin/users").get_data(as_text=True)
    shown = re.search(r'Mot de passe initial \(affiché une seule fois\)\W+<code class="secret" translate="no">([^<]+)<',
                      page)
    assert shown, page
    initial = shown.group(1)
    assert initial not in carried and initial not in cookie_contents(app, client)
    assert initial not in client.get("/admin/users").get_data(as_text=True)  # once
    from notifier.accounts.models import PendingSecret

    assert db.session.query(PendingSecret).count() == 0


def test_the_totp_secret_being_set_up_never_travels_in_the_cookie(app, dpo_client, dpo):
    page = dpo_client.get("/account/totp").get_data(as_text=True)
    secret = page.split("<code>")[1].split("</code>")[0]
    assert secret not in cookie_contents(app, dpo_client)
    again = dpo_client.get("/account/totp").get_data(as_text=True)
    assert secret in again  # the same secret until it is confirmed, from the server


def test_a_pending_secret_belongs_to_the_session_that_asked_for_it(app, client, dpo, legal, password):
    """Another user holding the id (copied cookie value) does not get the secret."""
    from notifier.accounts import services as users

    key = users.keep_secret(dpo, "totp", "JBSWY3DPEHPK3PXP")
    assert users.read_secret(key, legal, "totp", consume=False) is None
    assert users.read_secret(key, dpo, "password", consume=False) is None
    assert users.read_secret(key, dpo, "totp", consume=True).value == "JBSWY3DPEHPK3PXP"
    assert users.read_secret(key, dpo, "totp", consume=False) is None
