"""Patient letters: template versions (four eyes), generation jobs in chunks, and each letter's fate.

- ``LetterTemplate``: one immutable version of a letter variant of a breach. Editing creates the next version; an
  approval belongs to one version, so any edit after approval needs a new approval.
- ``Letter``: the letter owed to one patient of a breach (at most one per patient), with its stable reference number
  and its tracking status (generated, printed, posted, returned, resent, public_notice).
- ``LetterJob`` / ``LetterChunk``: a generation run for a breach; each chunk is one lot file, and its state lives
  here so that a crash, a kill or a restart ends with exactly one letter per patient.
- ``LetterOutput``: where a letter sits in a job's lots (the rows of manifest.csv).
- ``LetterEvent``: the history of status changes (print shop, La Poste returns, re-sending, public notice).
"""

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from notifier.accounts.models import User
from notifier.core.types import UTCDateTime, one_of, utcnow
from notifier.extensions import db
from notifier.letters.states import (
    Audience,
    Channel,
    ChunkStatus,
    EmailStatus,
    JobKind,
    JobStatus,
    LetterStatus,
    ReviewKind,
)


class LetterTemplate(db.Model):
    """One version of one letter variant. Never updated after creation, except to record its approval once."""

    __tablename__ = "letter_template"
    __table_args__ = (
        UniqueConstraint("breach_id", "variant", "version", name="uq_letter_template_version"),
        one_of("letter_template", "audience", Audience),
        one_of("letter_template", "channel", Channel),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    variant: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column()
    lang: Mapped[str] = mapped_column(String(5), default="fr")
    audience: Mapped[str] = mapped_column(String(20), default=Audience.ANY)
    # Patient.segment values this variant is for; empty: any segment.
    segments: Mapped[list[str]] = mapped_column(JSON, default=list)
    retired: Mapped[bool] = mapped_column(default=False)
    # Paper only, e-mail where the patient gave an address (paper otherwise), or both (docs/email.md).
    channel: Mapped[str] = mapped_column(String(20), default=Channel.PAPER, server_default=Channel.PAPER.value)
    texts: Mapped[dict[str, str]] = mapped_column(JSON)
    # The sender block (establishment name, address lines, phone, email), frozen with the version.
    sender: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Where the address window is (mm from the sheet's top-left corner): {"left": 110, "top": 55}.
    layout: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    letter_date: Mapped[date] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])

    @property
    def approved(self) -> bool:
        return self.approved_at is not None


class LetterReview(db.Model):
    """The four-eyes history of a variant: each version submitted, each request for changes (with the comment the
    DPO sees on the template) and each approval (with its optional comment). Rows are only ever added."""

    __tablename__ = "letter_review"
    __table_args__ = (one_of("letter_review", "kind", ReviewKind),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("letter_template.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    user_email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    template: Mapped[LetterTemplate] = relationship()
    user: Mapped[User | None] = relationship()


class Letter(db.Model):
    """The letter owed to one patient of a breach. ``number`` is drawn once, when the patient first enters a
    generation job, and never changes: the reference printed on the letter stays the same across re-runs and
    reprints. ``status`` is None until a final (non-draft) job has generated the letter."""

    __tablename__ = "letter"
    __table_args__ = (
        UniqueConstraint("breach_id", "number", name="uq_letter_breach_number"),
        Index("ix_letter_breach_status", "breach_id", "status"),
        one_of("letter", "status", LetterStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"))
    # Kept when the patient list is purged after the retention period (the link is then emptied).
    patient_pk: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="SET NULL"), nullable=True,
                                                   unique=True)
    serial: Mapped[int] = mapped_column()
    number: Mapped[int] = mapped_column()
    status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status_date: Mapped[date | None] = mapped_column(nullable=True)
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A returned letter re-sent to a new address is a new letter with its own reference, linked to the first
    # (letters/returns.py); the first one keeps its status "resent" and gives the patient link to the new one.
    resent_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("letter.id", name="fk_letter_resent_from_id_letter"), nullable=True, unique=True, index=True)


class LetterJob(db.Model):
    """One generation run for a breach. ``variants`` freezes, in priority order, the template version used for each
    variant; ``token`` names the job in download URLs (never its files' paths)."""

    __tablename__ = "letter_job"
    __table_args__ = (one_of("letter_job", "status", JobStatus), one_of("letter_job", "kind", JobKind))

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    token: Mapped[str] = mapped_column(String(40), unique=True)
    # letters: lots of PDF letters; email: one e-mail per patient (its chunks send LetterEmail rows).
    kind: Mapped[str] = mapped_column(String(10), default=JobKind.LETTERS, server_default=JobKind.LETTERS.value)
    # E-mail jobs: messages per second over the whole job (EMAIL_RATE, or --rate), shared by its workers.
    rate: Mapped[float | None] = mapped_column(Float, nullable=True)
    out_dir: Mapped[str] = mapped_column(String(1000))
    draft: Mapped[bool] = mapped_column(default=False)
    variant_filter: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # Only the patients whose letter was never generated for real (late imports, holds released since).
    only_new: Mapped[bool] = mapped_column(default=False)
    # Lots laid out for recto verso printing: blank versos so that no letter starts on the back of another one.
    duplex: Mapped[bool] = mapped_column(default=False, server_default=false())
    lot_size: Mapped[int] = mapped_column()
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=JobStatus.RUNNING)
    total: Mapped[int] = mapped_column(default=0)
    held: Mapped[int] = mapped_column(default=0)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The current run (a resumed job starts a new run): rate and time left are measured over it.
    run_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    run_started_done: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    created_by: Mapped[User | None] = relationship()
    chunks: Mapped[list["LetterChunk"]] = relationship(order_by="LetterChunk.chunk_no", back_populates="job")


class LetterChunk(db.Model):
    """One lot of a job: the patients of one variant between two (postcode, patient row) keys, in that order.
    ``worker`` is "host:pid:start-time" of the process running it, so a chunk left running by a dead process is
    recognised and run again."""

    __tablename__ = "letter_chunk"
    __table_args__ = (
        UniqueConstraint("job_id", "chunk_no", name="uq_letter_chunk_no"),
        one_of("letter_chunk", "status", ChunkStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("letter_job.id"))
    chunk_no: Mapped[int] = mapped_column()
    variant_index: Mapped[int] = mapped_column()
    first_postcode: Mapped[str] = mapped_column(String(20))
    first_pk: Mapped[int] = mapped_column()
    last_postcode: Mapped[str] = mapped_column(String(20))
    last_pk: Mapped[int] = mapped_column()
    expected: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default=ChunkStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    naive: Mapped[int] = mapped_column(default=0)
    size: Mapped[int | None] = mapped_column(nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    job: Mapped[LetterJob] = relationship(back_populates="chunks")

    @property
    def lot_name(self) -> str:
        return lot_file_name(self.chunk_no)


def lot_file_name(number: int) -> str:
    """The file of lot `number` of a job, on disk, in the manifest and as downloaded: lot-0001.pdf."""
    return f"lot-{number:04d}.pdf"


class LetterOutput(db.Model):
    """A letter in a job's lot: a row of manifest.csv. One per letter and job (no duplicate, whatever the crashes)."""

    __tablename__ = "letter_output"
    __table_args__ = (
        UniqueConstraint("job_id", "letter_id", name="uq_letter_output_letter"),
        Index("ix_letter_output_position", "job_id", "chunk_no", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("letter_job.id"))
    chunk_no: Mapped[int] = mapped_column()
    position: Mapped[int] = mapped_column()
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("letter_template.id"))
    first_page: Mapped[int] = mapped_column()
    page_count: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    naive: Mapped[bool] = mapped_column(default=False)


class LetterEvent(db.Model):
    """A status change of a letter: who recorded it, from which source (web, CSV file, command line)."""

    __tablename__ = "letter_event"
    __table_args__ = (one_of("letter_event", "status", LetterStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    status_date: Mapped[date] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    source: Mapped[str] = mapped_column(String(100), default="")


TRACKING_STATUSES = ("running", "done", "refused", "failed")


class TrackingUpload(db.Model):
    """A tracking file too large to apply within the request (over TRACKING_INLINE_BYTES): staged under
    STORAGE_DIR/tracking and applied by a background thread, like a patient import; its page shows the outcome.
    Problems are kept as codes and references (never patient data), the first few hundred only."""

    __tablename__ = "tracking_upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running")  # TRACKING_STATUSES
    default_status: Mapped[str] = mapped_column(String(20))
    default_date: Mapped[date] = mapped_column(Date)
    staged_file: Mapped[str | None] = mapped_column(String(255), nullable=True)
    worker: Mapped[str | None] = mapped_column(String(200), nullable=True)  # processes.process_identity()
    rows: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    by_status: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    problem_count: Mapped[int] = mapped_column(default=0)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [line, reference, code, value]
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LetterEmail(db.Model):
    """The e-mail owed to one patient of a breach (at most one per patient, whatever the jobs and restarts): the
    variant's approved text, with the letter's reference (``letter_id``). ``job_id`` and ``chunk_no`` are the job
    and chunk that send it (a new job takes over the queued ones). The address is read from the patient at sending
    time and never copied here: the purge of the patient list leaves no address behind.

    ``message_id`` is drawn before the first attempt and reused by every later one, so that a message sent again
    after a worker died in the instant between the relay's answer and our commit carries the same Message-ID.
    ``smtp_code``/``smtp_text``: the relay's refusal, or the bounce's status code and diagnostic."""

    __tablename__ = "letter_email"
    __table_args__ = (
        Index("ix_letter_email_job_chunk", "job_id", "chunk_no", "id"),
        Index("ix_letter_email_breach_status", "breach_id", "status"),
        one_of("letter_email", "status", EmailStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    breach_id: Mapped[int] = mapped_column(ForeignKey("breach.id"))
    patient_pk: Mapped[int | None] = mapped_column(ForeignKey("patient.id", ondelete="SET NULL"), nullable=True,
                                                   unique=True)
    letter_id: Mapped[int] = mapped_column(ForeignKey("letter.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("letter_template.id"))
    job_id: Mapped[int] = mapped_column(ForeignKey("letter_job.id"))
    chunk_no: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(10), default=EmailStatus.QUEUED)
    message_id: Mapped[str | None] = mapped_column(String(200), nullable=True, unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    queue_id: Mapped[str | None] = mapped_column(String(100), nullable=True, index=True)
    smtp_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    smtp_text: Mapped[str | None] = mapped_column(String(500), nullable=True)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
