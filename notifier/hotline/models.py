"""The hotline's tables: the call script of a breach (versions, four-eyes approval, like letter templates) and the
calls logged by the desk."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from notifier.accounts.models import User
from notifier.core.types import UTCDateTime, one_of, utcnow
from notifier.extensions import db
from notifier.hotline.states import CallOutcome, CallReason


class CallScript(db.Model):
    """One version of the call script (FAQ) of a breach, written by the DPO. Never changed after creation except to
    record its approval once: an edit is the next version, which needs its own approval (four eyes: legal, never
    the author). The desk and the public page read the latest approved version only."""

    __tablename__ = "call_script"
    __table_args__ = (UniqueConstraint("breach_id", "version", name="uq_call_script_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    version: Mapped[int] = mapped_column()
    # The sections of hotline.services.SECTIONS: what happened, what data, what to do, what we never ask, rights,
    # the CNIL complaint.
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    # Shown on the public page too: the hotline number and hours, the public notice's address (https, optional).
    phone: Mapped[str] = mapped_column(String(50), default="")
    hours: Mapped[str] = mapped_column(String(200), default="")
    notice_url: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class HotlineCall(db.Model):
    """A call taken by the desk: its reason, outcome and note, about one patient of the breach or nobody identified
    (the press, a caller without a letter). The note is free text: it may hold personal data and is shown only on
    the desk's pages, never exported."""

    __tablename__ = "hotline_call"
    __table_args__ = (
        Index("ix_hotline_call_breach_created", "breach_id", "created_at"),
        one_of("hotline_call", "reason", CallReason),
        one_of("hotline_call", "outcome", CallOutcome),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"))
    # Emptied when the patient list is purged after the retention period (GDPR art. 5(1)(e)).
    patient_pk: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="SET NULL"), nullable=True,
                                                   index=True)
    reason: Mapped[str] = mapped_column(String(20))
    outcome: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Not a column: what the returned-mail flow did with a new address given on this call (hotline.services.log_call).
    address_change = None
