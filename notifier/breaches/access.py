"""What every feature's views need of a breach: the user's own breach (or 404) and the organisation's
establishments. Here rather than in breaches/views.py, so that no feature imports another feature's views."""

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from notifier.accounts.organisations import Establishment
from notifier.breaches.models import Breach
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
