"""Fixtures of the case tests: a breach whose awareness time is known (so its clocks run), another organisation."""

import pytest

from notifier.extensions import db


def set_awareness(breach, user, typed: str) -> None:
    from notifier.breaches.services import save_step

    result = save_step(breach, "dates", {"aware_at": typed}, user=user, expected_version=breach.version)
    assert result.ok, result.errors
    db.session.commit()


@pytest.fixture
def aware_breach(breach, dpo):
    set_awareness(breach, dpo, "2026-10-23T14:20")
    return breach


@pytest.fixture
def outsider(app, password):
    """A viewer of another organisation."""
    from notifier.accounts.organisations import Organisation
    from notifier.accounts.services import add_user

    other = Organisation(name="Autre groupe")
    db.session.add(other)
    db.session.commit()
    user = add_user("viewer@autre.test", "viewer", password, organisation=other)
    db.session.commit()
    return user
