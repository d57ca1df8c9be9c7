"""How many verifications the public page answered, per breach, day (Europe/Paris) and outcome. Nothing about the
caller is stored: no address, no reference typed, no time finer than the day."""

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from notifier.core.types import one_of
from notifier.extensions import db
from notifier.verification.states import Outcome


class VerificationCount(db.Model):
    """A counter. ``breach_id`` is None for a reference that names no breach of this instance (a fake letter, a
    wrong prefix). Several rows of the same key may exist (concurrent first hits of a day): readers sum them."""

    __tablename__ = "verification_count"
    __table_args__ = (
        Index("ix_verification_count_key", "breach_id", "day", "outcome"),
        one_of("verification_count", "outcome", Outcome),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int | None] = mapped_column(ForeignKey("breach.id", ondelete="CASCADE"), nullable=True)
    day: Mapped[date] = mapped_column(Date)
    outcome: Mapped[str] = mapped_column(String(20))
    count: Mapped[int] = mapped_column(default=0)
