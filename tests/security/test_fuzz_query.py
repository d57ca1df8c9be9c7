"""Numbers in query strings, URLs and forms (issue 12, point 12): huge integers in ?after= and ?page= gave a 500
(OverflowError in the database driver) and a NaN window position was stored. Every numeric parameter is bounded:
out of range is a 400 page or a form error, never a 500, and nothing stored changes."""

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifier.core.web import MAX_ID, bounded_number
from notifier.extensions import db
from notifier.letters.models import LetterTemplate

numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["nan", "NaN", "inf", "-inf", "1e309", "9" * 400, "0x10", "1_000", "٣", "１２", "", " ",
                     "2147483648", "-2147483649", "9223372036854775808", "1,5", "+1", "--1"]),
    st.text(max_size=30),
)
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_huge_integers_in_the_query_string_give_400_not_500(login_as, legal, breach):
    client = login_as(legal)
    for url in (f"/breaches/{breach.id}/patients?after=99999999999999999999",
                f"/breaches/{breach.id}/patients?before=-99999999999999999999",
                f"/breaches/{breach.id}/letters/held?page=99999999999999999999",
                "/audit/?page=99999999999999999999999",
                "/audit/export.csv?breach=99999999999999999999"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "Paramètre «\u00a0" in response.get_data(as_text=True)


def test_a_huge_id_in_a_url_is_a_404(dpo_client, breach):
    assert dpo_client.get(f"/breaches/{MAX_ID + 1}").status_code == 404
    assert dpo_client.get("/breaches/99999999999999999999999/patients").status_code == 404


def test_a_nan_window_position_is_a_form_error_and_nothing_is_stored(dpo_client, breach):
    dpo_client.post(f"/breaches/{breach.id}/letters/variants", data={"variant": "standard"})
    page = dpo_client.get(f"/breaches/{breach.id}/letters/variants/standard").get_data(as_text=True)
    values = dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page))
    values.update(re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page))
    values.pop("csrf_token", None)
    for position in ("nan", "inf", "1e400", "NaN"):
        response = dpo_client.post(f"/breaches/{breach.id}/letters/variants/standard",
                                   data={**values, "window_left": position})
        assert response.status_code == 400, position
        assert "Position de la fenêtre" in response.get_data(as_text=True)
    assert LetterTemplate.query.count() == 0


def test_the_letter_service_refuses_a_nan_window_position_too(breach, dpo, app):
    from notifier.letters import services as letters

    draft = letters.TemplateDraft(texts=dict(letters.EXAMPLE_TEXTS["fr"]) if hasattr(letters, "EXAMPLE_TEXTS")
                                  else {}, layout={"left": float("nan")})
    with pytest.raises(letters.LetterError) as refused:
        letters.save_template(breach, dpo, "standard", draft, config=app.config)
    assert "Position de la fenêtre" in refused.value.message("fr")


@pytest.mark.parametrize("text, expected", [("12", 12), (" 7 ", 7), ("-3", -3)])
def test_bounded_number_reads_plain_integers(text, expected):
    assert bounded_number(text, minimum=-10, maximum=100) == expected


@pytest.mark.parametrize("text", ["nan", "inf", "1e3", "1_0", "٣", "0x1", "101", "-11", "9" * 30, "", "1.5"])
def test_bounded_number_refuses_everything_else(text):
    with pytest.raises(ValueError):
        bounded_number(text, minimum=-10, maximum=100)


def test_bounded_number_reads_decimals_with_a_comma_but_never_nan():
    assert bounded_number("110,5", minimum=0, maximum=210, decimal=True) == 110.5
    for text in ("nan", "inf", "-inf", "1e2", "210.01"):
        with pytest.raises(ValueError):
            bounded_number(text, minimum=0, maximum=210, decimal=True)


@SETTINGS
@given(name=st.sampled_from(["after", "before"]), value=numbers)
def test_the_patient_list_cursor_never_fails(dpo_client, breach, name, value):
    response = dpo_client.get(f"/breaches/{breach.id}/patients", query_string={name: value})
    assert response.status_code in (200, 400), (name, value)


@SETTINGS
@given(page=numbers, breach_filter=numbers)
def test_audit_pages_never_fail(login_as, legal, page, breach_filter):
    client = login_as(legal)
    assert client.get("/audit/", query_string={"page": page}).status_code in (200, 400)
    assert client.get("/audit/export.csv", query_string={"breach": breach_filter}).status_code in (200, 400, 404)


@SETTINGS
@given(establishment=numbers, year=numbers)
def test_the_register_ignores_filters_it_does_not_understand(dpo_client, establishment, year):
    response = dpo_client.get("/register", query_string={"establishment": establishment, "year": year})
    assert response.status_code == 200


@SETTINGS
@given(page=numbers)
def test_the_held_letters_pages_never_fail(dpo_client, breach, page):
    response = dpo_client.get(f"/breaches/{breach.id}/letters/held", query_string={"page": page})
    assert response.status_code in (200, 400)


@SETTINGS
@given(version=numbers, establishment=numbers)
def test_hidden_numbers_of_the_wizard_never_fail_and_change_nothing_when_refused(dpo_client, breach, version,
                                                                                 establishment):
    db.session.refresh(breach)
    before = dict(breach.sections.get("notification") or {})
    response = dpo_client.post(f"/breaches/{breach.id}/steps/notification",
                               data={"version": version, "establishment_id": establishment, "title": "Fuite"})
    assert response.status_code in (302, 400, 409, 422), response.status_code
    db.session.refresh(breach)
    if response.status_code != 302:
        assert (breach.sections.get("notification") or {}) == before


@SETTINGS
@given(left=numbers, top=numbers)
def test_window_positions_never_fail_and_are_always_finite(dpo_client, breach, left, top):
    response = dpo_client.post(f"/breaches/{breach.id}/letters/variants/standard",
                               data={"window_left": left, "window_top": top, "sender_name": "Clinique"})
    assert response.status_code in (302, 400)
    for template in LetterTemplate.query.all():
        assert all(value == value and abs(value) < 1000 for value in template.layout.values())


@SETTINGS
@given(lot_size=numbers)
def test_the_lot_size_never_fails(dpo_client, breach, lot_size):
    response = dpo_client.post(f"/breaches/{breach.id}/letters/jobs", data={"lot_size": lot_size})
    assert response.status_code in (302, 400)
