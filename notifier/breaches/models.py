from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from notifier.accounts.models import User
from notifier.accounts.organisations import Establishment
from notifier.breaches.states import BreachStatus
from notifier.core.types import UTCDateTime, one_of, utcnow
from notifier.extensions import db


class Breach(db.Model):
    """One personal-data breach: the art. 33(5) register entry and, when owed, the CNIL notification.

    The wizard's answers live in ``sections`` (see domain/breach_form.py). The few columns beside it are copies
    the dashboard sorts and filters on, refreshed by the service on every save."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    establishment_id: Mapped[int] = mapped_column(ForeignKey("establishment.id"), index=True)
    reference: Mapped[str] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(20), default=BreachStatus.DRAFT)
    sections: Mapped[dict[str, Any]] = mapped_column(JSON)
    title: Mapped[str] = mapped_column(String(200), default="")
    aware_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    cnil_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # Optimistic locking: two tabs saving the same breach must not silently overwrite each other.
    version: Mapped[int] = mapped_column(default=1)

    establishment: Mapped[Establishment] = relationship()
    created_by: Mapped[User] = relationship()

    __mapper_args__ = {"version_id_col": version}
    # References are numbered per organisation and year (breaches.services.next_reference).
    __table_args__ = (one_of("breach", "status", BreachStatus),
                      UniqueConstraint("organisation_id", "reference", name="uq_breach_organisation_reference"))


class BreachChange(db.Model):
    """The change history of a breach: who changed which field, when, from what to what."""

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    section: Mapped[str] = mapped_column(String(50))
    field: Mapped[str] = mapped_column(String(100))
    old_value: Mapped[Any] = mapped_column(JSON, nullable=True)
    new_value: Mapped[Any] = mapped_column(JSON, nullable=True)

    user: Mapped[User | None] = relationship()
