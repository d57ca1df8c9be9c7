"""Issue 12, point 11 (first part): an admin of organisation B must not learn that an address has an account in
organisation A. E-mails stay unique (logins are by e-mail alone); the refusal is neutral."""

from notifier.accounts import services as users
from notifier.accounts.models import User
from notifier.accounts.organisations import Organisation
from notifier.extensions import db

NEUTRAL = "Cette adresse de courriel ne peut pas être utilisée pour un nouveau compte"


def test_an_admin_of_another_organisation_is_not_told_the_address_has_an_account(app, client, legal, password):
    legal.email = "legal@x.fr"  # organisation A's account, as in the attack
    db.session.commit()
    other = Organisation(name="Organisation B")
    db.session.add(other)
    db.session.commit()
    admin_b = users.add_user("admin@b.fr", "admin", password, organisation=other)
    db.session.commit()  # the service flushes; the test, like a request, commits
    client.post("/login", data={"email": admin_b.email, "password": password})
    client.csrf_token = None
    page = client.post("/admin/users", data={"email": "legal@x.fr", "role": "viewer", "name": ""}).get_data(
        as_text=True)
    assert NEUTRAL in page
    assert "existe" not in page and "already" not in page and "legal@x.fr" not in page.split("<main", 1)[1].split(
        "<form", 1)[0]
    account = User.query.filter_by(email="legal@x.fr").one()
    assert account.organisation_id == legal.organisation_id and account.role == "legal"


def test_within_the_organisation_the_admin_is_told_plainly(app, client, admin, legal, password):
    legal.email = "legal@x.fr"
    db.session.commit()
    client.post("/login", data={"email": admin.email, "password": password})
    client.csrf_token = None
    page = client.post("/admin/users", data={"email": "legal@x.fr", "role": "viewer", "name": ""}).get_data(
        as_text=True)
    assert "existe déjà dans votre organisation" in page
