"""What the fixes of issue 12 must keep working (these passed before the fixes too, so they are not in
tests/security/): local `next` targets are still followed, the unlock button respects organisations, and with no
trusted proxy a forged X-Forwarded-For changes nothing."""

import pytest

from notifier.accounts import services as users
from notifier.extensions import db

WRONG = "not the password at all"


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("target", ["/breaches/1", "/breaches/1/patients?q=Dupont&page=2", "/login?next=%2Fbreaches"])
def test_local_pages_are_still_reached(client, dpo, password, target):
    assert client.post("/lang/en", data={"next": target}).headers["Location"] == target
    response = client.post("/login", query_string={"next": target}, data={"email": dpo.email, "password": password})
    assert response.headers["Location"] == target


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_login_page_sends_back_to_the_page_asked_for(client, dpo, password, breach):
    asked = client.get(f"/breaches/{breach.id}")
    assert asked.status_code == 302
    login_url = asked.headers["Location"]
    response = client.post(login_url, data={"email": dpo.email, "password": password})
    assert response.headers["Location"] == f"/breaches/{breach.id}"


def test_an_admin_of_another_organisation_cannot_unlock(app, client, dpo, password):
    from notifier.accounts.organisations import Organisation

    other = Organisation(name="Autre Groupe")
    db.session.add(other)
    db.session.commit()
    outsider = users.add_user("admin@autre.test", "admin", password, organisation=other)
    db.session.commit()
    client.post("/login", data={"email": outsider.email, "password": password})
    client.csrf_token = None
    assert client.post(f"/admin/users/{dpo.id}/unlock", data={}).status_code == 404


def test_without_a_trusted_proxy_a_forged_forwarded_for_does_not_escape_the_throttle(tmp_path):
    app = throttled_app(tmp_path, proxies=0)
    with app.app_context():
        db.create_all()
        client = app.test_client()
        statuses = [statuses_from(client, f"203.0.113.{n}", 1)[0] for n in range(11)]
        assert statuses == [200] * 10 + [429]
        db.session.remove()
        db.engine.dispose()


def throttled_app(tmp_path, proxies: int):
    from notifier import create_app

    url = f"sqlite:///{tmp_path / f'proxy{proxies}.db'}"
    return create_app({"TESTING": True, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x",
                       "STORAGE_DIR": str(tmp_path / "storage"), "SESSION_COOKIE_SECURE": False,
                       "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": True, "TRUSTED_PROXIES": proxies})


def statuses_from(client, address: str, count: int) -> list[int]:
    return [client.post("/login", data={"email": f"guess{n}@example.org", "password": WRONG},
                        headers={"X-Forwarded-For": address}).status_code for n in range(count)]
