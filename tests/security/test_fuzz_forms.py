"""Random text in every field of every form: never a server error, and data already stored stays intact."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifier.breaches.rules.form import STEPS
from notifier.extensions import db

# Text that a browser could send: any Unicode except surrogates, including markup, control characters and quotes.
nasty = st.one_of(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=300),
    st.sampled_from(["<script>alert(1)</script>", "=cmd|' /C calc'!A0", "'; DROP TABLE breach; --",
                     "file:///etc/passwd", "\x00", "2026-02-30T25:61", "-1", "9" * 40, "../../etc/hosts"]),
)
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(step_index=st.integers(0, len(STEPS) - 1), values=st.lists(nasty, min_size=1, max_size=12))
def test_wizard_steps_never_fail_on_random_input(dpo_client, breach, step_index, values):
    step = STEPS[step_index]
    db.session.refresh(breach)
    before = {code: dict(section) for code, section in breach.sections.items()}
    data = {"version": str(breach.version)}
    for field, value in zip(step.fields, values * 3, strict=False):
        data[field.name] = value
    response = dpo_client.post(f"/breaches/{breach.id}/steps/{step.code}", data=data)
    assert response.status_code in (302, 400, 409, 422), response.status_code
    db.session.refresh(breach)
    for code, section in before.items():
        if response.status_code != 302 or code != step.code:
            assert breach.sections[code] == section, code


@SETTINGS
@given(email=nasty, password=nasty)
def test_login_never_fails_on_random_input(client, dpo, email, password):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code in (200, 302, 400)


@SETTINGS
@given(fields=st.fixed_dictionaries({name: nasty for name in ("name", "siren", "finess", "address", "dpo_email")}))
def test_establishment_form_never_fails_on_random_input(login_as, admin, fields):
    client = login_as(admin)
    response = client.post("/admin/establishments/new", data=fields)
    assert response.status_code in (200, 302, 400)


def test_punctuation_only_title_round_trips(dpo_client, breach):
    title = string.punctuation
    dpo_client.post(f"/breaches/{breach.id}/steps/notification", data={"title": title, "version": breach.version})
    db.session.refresh(breach)
    assert breach.sections["notification"]["title"] == title
