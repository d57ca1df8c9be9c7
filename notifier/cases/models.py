"""The case's tables: the plan template of an organisation, the tasks, the evidence vault, the timeline, the
exchanges and the reminders already sent. Times are aware UTC (core.types.UTCDateTime)."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from notifier.accounts.models import User
from notifier.cases.states import Direction, ExchangeStatus, Party, TaskStatus, TimelineKind
from notifier.core.types import UTCDateTime, one_of, utcnow
from notifier.extensions import db


class PlanTemplate(db.Model):
    """An organisation's action plan for new breaches, edited by an administrator; without a row, the default plan of
    a health establishment (cases/rules/plan.DEFAULT_PLAN)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), unique=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseTask(db.Model):
    """One action of a breach's plan. Its due date is ``due_at`` when set, else ``anchor`` (a clock code or
    "aware") plus ``offset_minutes``, computed from the breach's clocks whenever it is read."""

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.TODO)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    anchor: Mapped[str | None] = mapped_column(String(40), nullable=True)
    offset_minutes: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(60), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])

    __table_args__ = (one_of("case_task", "status", TaskStatus),)


class Evidence(db.Model):
    """A file of the vault, stored encrypted (AES-256-GCM) under STORAGE_DIR/evidence with a random name. The SHA-256
    is the original's; deleting removes the file and keeps the row (who, when, why) for the chain of custody."""

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(500), default="")
    content_type: Mapped[str] = mapped_column(String(100), default="application/octet-stream")
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    thumbnail_name: Mapped[str | None] = mapped_column(String(64), nullable=True)
    key_id: Mapped[str] = mapped_column(String(16))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_reason: Mapped[str] = mapped_column(String(500), default="")

    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    deleted_by: Mapped[User | None] = relationship(foreign_keys=[deleted_by_id])


timeline_evidence = Table(
    "timeline_evidence", db.metadata,
    Column("event_id", Integer, ForeignKey("timeline_event.id"), primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), primary_key=True),
)

exchange_evidence = Table(
    "exchange_evidence", db.metadata,
    Column("exchange_id", Integer, ForeignKey("exchange.id"), primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), primary_key=True),
)


class TimelineEvent(db.Model):
    """A dated event of the case, typed by a person or added by the application (``source`` names what made it:
    "report:12", "letter_job:3"..., unique per breach so that an event is never added twice)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20), default=TimelineKind.OTHER)
    description: Mapped[str] = mapped_column(Text)
    #: The values of an automatic event's description, a French msgid translated where shown (no patient data).
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    automatic: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[User | None] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(secondary=timeline_evidence, order_by=Evidence.id)

    __table_args__ = (one_of("timeline_event", "kind", TimelineKind),
                      db.UniqueConstraint("breach_id", "source", name="uq_timeline_event_breach_source"))


class Exchange(db.Model):
    """One piece of correspondence about the breach with an authority or another party. ``reply_by`` is a clock of
    its own while the status is awaiting_reply."""

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    direction: Mapped[str] = mapped_column(String(10))
    party: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str] = mapped_column(String(300))
    reference: Mapped[str] = mapped_column(String(100), default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ExchangeStatus.NO_REPLY)
    reply_by: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(secondary=exchange_evidence, order_by=Evidence.id)

    __table_args__ = (one_of("exchange", "direction", Direction), one_of("exchange", "party", Party),
                      one_of("exchange", "status", ExchangeStatus))


class ReminderSent(db.Model):
    """A reminder e-mail accepted by the SMTP relay: its key is unique, so `notifier reminders send` sends it once
    even when two runs overlap."""

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(250), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    breach_id: Mapped[int | None] = mapped_column(ForeignKey("breach.id"), nullable=True, index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(30))
    queue_id: Mapped[str | None] = mapped_column(String(100), nullable=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
