"""Fixtures of the hotline tests: a hotline account, an approved call script, and letters stored as a final
generation job leaves them (a number, a status, the events of the print shop and La Poste), without any PDF."""

import pytest

from notifier.extensions import db


@pytest.fixture
def hotline_user(organisation):
    from tests.conftest import make_user

    return make_user(organisation, "hotline")


@pytest.fixture
def hotline_client(client, hotline_user):
    from tests.conftest import login

    login(client, hotline_user)
    return client


def full_texts():
    from notifier.hotline import services as hotline

    return {key: f"Texte de la section {key}." for key in hotline.SECTIONS}


@pytest.fixture
def approved_script(breach, dpo, legal):
    from notifier.hotline import services as hotline

    script = hotline.save_script(breach, dpo, texts=full_texts(), phone="0 800 00 12 34", hours="9 h - 18 h")
    hotline.approve_script(script, legal)
    db.session.commit()
    return script
