"""Issue 12, point 10: users change their own password, an admin-given or generated one must be changed at first
login, and common or context-derived passwords are refused."""

import re

import pytest

from notifier.accounts import services as users
from notifier.accounts.models import User
from notifier.extensions import db

NEW = "Une phrase de passe toute neuve"


def test_a_user_changes_their_own_password(app, dpo_client, dpo, password):
    page = dpo_client.get("/account/password")
    assert page.status_code == 200 and 'name="current"' in page.get_data(as_text=True)
    wrong_current = dpo_client.post("/account/password", data={"current": "nope nope nope", "new": NEW,
                                                               "confirm": NEW})
    assert wrong_current.status_code == 422 and "Mot de passe actuel incorrect." in wrong_current.get_data(
        as_text=True)
    mismatch = dpo_client.post("/account/password", data={"current": password, "new": NEW, "confirm": NEW + "!"})
    assert mismatch.status_code == 422 and "diffèrent" in mismatch.get_data(as_text=True)
    db.session.refresh(dpo)
    assert dpo.check_password(password)

    assert dpo_client.post("/account/password", data={"current": password, "new": NEW, "confirm": NEW}
                           ).status_code == 302
    db.session.refresh(dpo)
    assert dpo.check_password(NEW) and not dpo.check_password(password)


def test_an_admin_given_password_must_be_changed_at_first_login(app, client, admin, password, breach):
    client.post("/login", data={"email": admin.email, "password": password})
    client.csrf_token = None
    client.post("/admin/users", data={"email": "nouvelle@clinique-lilas.fr", "role": "dpo", "name": ""})
    page = client.get("/admin/users").get_data(as_text=True)
    initial = re.search(r'affiché une seule fois\)\W+<code class="secret" translate="no">([^<]+)</code>', page).group(1)

    newcomer = app.test_client()
    response = newcomer.post("/login", data={"email": "nouvelle@clinique-lilas.fr", "password": initial})
    assert response.headers["Location"] == "/account/password"
    newcomer.csrf_token = None
    for page in ("/", f"/breaches/{breach.id}", f"/breaches/{breach.id}/export.json"):
        response = newcomer.get(page)
        assert response.status_code == 302 and response.headers["Location"] == "/account/password", page
    assert newcomer.post("/account/password", data={"current": initial, "new": NEW, "confirm": NEW}
                         ).status_code == 302
    assert newcomer.get("/").status_code == 200
    assert User.query.filter_by(email="nouvelle@clinique-lilas.fr").one().must_change_password is False


def test_passwords_set_from_the_command_line_must_be_changed_at_first_login(app, organisation, dpo):
    runner = app.test_cli_runner()
    assert runner.invoke(args=["user", "add", "piped@lilas.test", "--role", "legal"],
                         input="a long enough passphrase\n").exit_code == 0
    assert User.query.filter_by(email="piped@lilas.test").one().must_change_password is True
    assert runner.invoke(args=["user", "password", dpo.email]).exit_code == 0
    db.session.refresh(dpo)
    assert dpo.must_change_password is True


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("weak", [
    "password1234", "P@ssw0rd2026!", "azertyazerty", "123456789012", "qwertyuiop123", "Motdepasse2026",
    "iloveyou!!!!!", "Soleil1234567",
])
def test_common_passwords_and_their_usual_variants_are_refused(app, dpo_client, dpo, password, weak):
    response = dpo_client.post("/account/password", data={"current": password, "new": weak, "confirm": weak})
    assert response.status_code == 422
    assert "les plus courants" in response.get_data(as_text=True), weak
    db.session.refresh(dpo)
    assert dpo.check_password(password)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_password_containing_the_email_or_the_organisation_is_refused(app, organisation):
    with pytest.raises(users.PasswordPolicyError, match="identifiant de courriel"):
        users.check_password_policy("Claire.Martin!2026x", email="claire.martin@lilas.test")
    with pytest.raises(users.PasswordPolicyError, match="organisation"):
        users.check_password_policy("GroupeHospitalierTest!9", organisation_name=organisation.name)
    with pytest.raises(users.PasswordPolicyError, match="12"):
        users.check_password_policy("Xk9!fQ2#pL")
    users.check_password_policy("Xk9!fQ2#pLmw-Tr7", email="claire.martin@lilas.test",
                                organisation_name=organisation.name)


def test_the_list_of_common_passwords_ships_with_the_package():
    from pathlib import Path

    listed = users.common_passwords()
    assert len(listed) >= 9_900 and {"123456", "password", "azerty", "motdepasse"} <= listed
    # Inside the package folder, which the wheel carries whole (tests/packaging/test_wheel.py installs it).
    assert users.COMMON_PASSWORDS_FILE.parent == Path(users.__file__).parent


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_refusal_is_in_english_for_english_users(app, dpo_client, password):
    dpo_client.post("/lang/en", data={"next": "/"})
    response = dpo_client.post("/account/password", data={"current": password, "new": "password1234",
                                                          "confirm": "password1234"})
    assert "one of the most common ones" in response.get_data(as_text=True)


def test_a_generated_password_is_shown_whole_even_when_it_starts_with_punctuation(app, client, admin, password,
                                                                                    monkeypatch):
    """URL-safe passwords may start with "-" or "_": shown after a colon in running text, an admin could drop it."""
    monkeypatch.setattr(users.secrets, "token_urlsafe", lambda _: "-_Mot-de-passe-initial")
    client.post("/login", data={"email": admin.email, "password": password})
    client.csrf_token = None
    client.post("/admin/users", data={"email": "tiret@clinique-lilas.fr", "role": "legal", "name": ""})
    page = client.get("/admin/users").get_data(as_text=True)
    assert '<code class="secret" translate="no">-_Mot-de-passe-initial</code>' in page
    assert User.query.filter_by(email="tiret@clinique-lilas.fr").one().check_password("-_Mot-de-passe-initial")
