from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from notifier.accounts.models import User
from notifier.core.types import UTCDateTime, one_of, utcnow
from notifier.extensions import db
from notifier.reports.states import ReportDocument, ReportKind


class ReportVersion(db.Model):
    """One generated regulator report (CNIL notification, ARS / CERT Santé summary, NIS2 stage), kept forever.

    Versions are numbered per breach and document. The PDF lives under STORAGE_DIR with a random name, never derived
    from the breach or the number, and is served only after looking the row up by id and checking its organisation.
    ``breach_document`` is the breach's JSON export as embedded in the PDF: the next complementary report lists the
    differences against it."""

    __tablename__ = "report_version"
    __table_args__ = (
        UniqueConstraint("breach_id", "document", "number", name="uq_report_version_number"),
        one_of("report_version", "document", ReportDocument),
        one_of("report_version", "kind", ReportKind),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    document: Mapped[str] = mapped_column(String(30))
    number: Mapped[int] = mapped_column()
    kind: Mapped[str] = mapped_column(String(20))
    lang: Mapped[str] = mapped_column(String(5))
    storage_name: Mapped[str] = mapped_column(String(100), unique=True)
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column()
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    generated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    breach_document: Mapped[dict[str, Any]] = mapped_column(JSON)

    generated_by: Mapped[User | None] = relationship()
