"""What every feature's views and commands need of a breach: for a view, the user's own breach (or 404) and the
organisation's establishments; for a command, the breach (or one `error:` line) and the account acting on it.
Here rather than in breaches/views.py, so that no feature imports another feature's views."""

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from notifier.accounts.cli import acting_user
from notifier.accounts.organisations import Establishment
from notifier.breaches.models import Breach
from notifier.core.cli import cli_text, fail
from notifier.core.i18n import N_
from notifier.extensions import db


def get_breach(breach_id: int) -> Breach:
    """A breach of the user's own organisation, or 404: never reveal another organisation's breach."""
    breach = db.session.get(Breach, breach_id)
    if breach is None or breach.organisation_id != current_user.organisation_id:
        abort(404)
    return breach


def establishments():
    return db.session.scalars(
        select(Establishment).where(Establishment.organisation_id == current_user.organisation_id)
        .order_by(Establishment.name)
    ).all()


def breach_or_fail(breach_id: int) -> Breach:
    breach = db.session.get(Breach, breach_id)
    if breach is None:
        fail(cli_text(N_("aucune violation %(id)s"), id=breach_id))
    return breach


def breach_and_user_or_fail(breach_id: int, email: str | None):
    """The breach and the account a command acts as (--user, or the only DPO), which must be of its organisation."""
    breach = breach_or_fail(breach_id)
    user = acting_user(email)
    if user.organisation_id != breach.organisation_id:
        fail(cli_text(N_("%(email)s n'appartient pas à l'organisme de la violation %(id)s"), email=user.email,
                      id=breach_id))
    return breach, user
