from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from notifier.extensions import db
from notifier.models.types import UTCDateTime, utcnow

PATIENT_STATUSES = ("ready", "held")


class PatientImport(db.Model):
    """One uploaded patient file: what was read, accepted, rejected and held. read = accepted + rejected, always."""

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | done | failed
    encoding: Mapped[str] = mapped_column(String(20), default="")
    separator: Mapped[str] = mapped_column(String(5), default="")
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    read: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    held: Mapped[int] = mapped_column(default=0)
    rejected_file: Mapped[str | None] = mapped_column(String(255), nullable=True)  # under STORAGE_DIR
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)


class Patient(db.Model):
    """A person affected by a breach, as imported: the letter's addressee (or the person it is about).

    ``address_lines`` is the NF Z10-011 block computed at import; ``holds`` lists the reasons (codes) the letter is
    held for human review (minor without representative, L.1111-5 confidential care, deceased, ...)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"))
    import_id: Mapped[int] = mapped_column(ForeignKey("patient_import.id"))
    row_number: Mapped[int]
    patient_id: Mapped[str] = mapped_column(String(64))  # IPP
    civility: Mapped[str | None] = mapped_column(String(10), nullable=True)
    first_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    last_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date | None] = mapped_column(nullable=True)
    address_lines: Mapped[list[str]] = mapped_column(JSON)
    postcode: Mapped[str | None] = mapped_column(String(20), nullable=True)
    city: Mapped[str | None] = mapped_column(String(100), nullable=True)
    country: Mapped[str | None] = mapped_column(String(60), nullable=True)
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    guardian_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    segment: Mapped[str | None] = mapped_column(String(60), nullable=True)
    deceased: Mapped[bool] = mapped_column(default=False)
    protected_adult: Mapped[bool] = mapped_column(default=False)
    confidential_care: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(10), default="ready")  # ready | held
    holds: Mapped[list[str]] = mapped_column(JSON, default=list)
    normalisations: Mapped[list[Any]] = mapped_column(JSON, default=list)
    salutation: Mapped[str | None] = mapped_column(String(150), nullable=True)

    __table_args__ = (
        # Duplicate IPP within a breach, across imports, is refused (issue: "across imports").
        UniqueConstraint("breach_id", "patient_id", name="uq_patient_breach_ipp"),
        Index("ix_patient_breach_postcode", "breach_id", "postcode", "id"),
        Index("ix_patient_breach_last_name", "breach_id", "last_name"),
        Index("ix_patient_breach_status", "breach_id", "status"),
    )
