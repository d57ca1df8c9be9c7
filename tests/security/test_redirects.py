"""Issue 12, point 6: no open redirect. Every `next` the application follows (login, language) goes through one
check, notifier.core.web.safe_next: a local path, or the dashboard."""

import pytest

HOSTILE = [
    "//evil.example/phish",
    "/\t/evil.example/phish",
    "/%09/evil.example/phish",
    "/\\evil.example",
    "\\\\evil.example",
    "/%5Cevil.example",
    "/%2F%2Fevil.example",
    "%2F%2Fevil.example",
    "/%252F%252Fevil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\r\nSet-Cookie: x=1",
    "/%0d%0aSet-Cookie:%20x=1",
    "/\nevil",
    " //evil.example",
    "evil.example",
    "",
]


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("target", HOSTILE)
def test_changing_the_language_never_redirects_off_site(client, target):
    response = client.post("/lang/en", data={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("target", HOSTILE)
def test_logging_in_never_redirects_off_site(client, dpo, password, target):
    response = client.post("/login", query_string={"next": target}, data={"email": dpo.email, "password": password})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_page_reached_by_a_hostile_path_does_not_carry_it_into_the_language_form(client):
    page = client.get("/%09/evil.example/phish").get_data(as_text=True)
    assert "evil.example" not in page
    response = client.post("/lang/en", data={"next": "/\t/evil.example/phish?"})
    assert response.headers["Location"] == "/"
