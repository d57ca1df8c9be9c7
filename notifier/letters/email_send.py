"""One chunk of an e-mail job: send its queued messages through the relay (notifier/core/mail.py), one per patient.

Called by `jobs.run_chunk` for a job of kind "email" (same claim, lease, retries and runners as the letter lots).
Exactly-once in practice, from the database's point of view:

- mark before send: each message's attempt (``attempts``, ``attempted_at``, the Message-ID drawn once) is committed
  before the message leaves, in the same commit as the previous message's outcome. So when a worker is killed, every
  message the relay accepted before the one in flight is recorded as sent (never sent again), and the one in flight
  is the only one whose fate is unknown: it stays queued (never skipped) and the next run sends it again with the
  same Message-ID. The relay can have accepted it in the instant between its "250" and our commit (RFC 1047): that
  copy and the new one carry the same Message-ID, which mailbox providers use to drop a duplicate.
- each mark is conditional on the chunk still being ours (same attempt, still running): a worker whose chunk was
  taken over after its lease ran out stops before sending anything more.
- accepted (250) -> sent with the relay's queue id; refused for good (5xx) -> refused with the code and text (the
  patient then gets a letter); refused for now (4xx) -> stays queued and the chunk ends failed, so resuming the job
  tries those messages again.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from flask import current_app
from sqlalchemy import Connection, bindparam, exists, func, select, update

from notifier.breaches.models import Breach
from notifier.core.mail import MailError, MailSession, build_bulk_message, build_message, new_message_id
from notifier.core.types import utcnow
from notifier.extensions import db
from notifier.letters.email_text import EmailBody, email_body
from notifier.letters.models import Letter, LetterChunk, LetterEmail, LetterJob, LetterTemplate
from notifier.letters.services import letter_reference, salutation_for
from notifier.letters.states import ChunkStatus, EmailStatus
from notifier.patients.models import Patient

logger = logging.getLogger(__name__)


class TemporaryRefusals(RuntimeError):
    """Some messages were refused for now (4xx): they stay queued; resuming the job sends them again."""


def body_for(template: LetterTemplate) -> EmailBody:
    sender = template.sender or {}
    return email_body(dict(template.texts), lang=template.lang, establishment=sender.get("name", ""),
                      letter_date=template.letter_date, phone=sender.get("phone", ""),
                      email=sender.get("email", ""))


def email_counts(job_id: int) -> dict[str, int]:
    """The job's messages by state (queued, sent, refused, bounced)."""
    rows = db.session.execute(select(LetterEmail.status, func.count()).where(LetterEmail.job_id == job_id)
                              .group_by(LetterEmail.status)).all()
    return {status.value: 0 for status in EmailStatus} | {status: count for status, count in rows}


def process_rate(job: LetterJob, chunks: int) -> float | None:
    """The job's rate (messages per second over the whole job) shared by the processes that send it at once: the
    local pool's LETTER_WORKERS (or the Celery workers' count, set it to the same value), at most one per chunk."""
    if not job.rate:
        return None
    workers = max(1, min(int(current_app.config.get("LETTER_WORKERS") or 1), chunks))
    return job.rate / workers


def send_chunk(job_id: int, chunk_id: int, attempt: int) -> str:
    chunk = db.session.get(LetterChunk, chunk_id)
    job = db.session.get(LetterJob, job_id)
    breach = db.session.get(Breach, job.breach_id)
    config = current_app.config
    rows = db.session.execute(
        select(LetterEmail.id, LetterEmail.message_id, LetterEmail.attempts, LetterEmail.template_id, Letter.number,
               Patient.email, Patient.salutation, Patient.civility, Patient.deceased, Patient.minor)
        .join(Letter, Letter.id == LetterEmail.letter_id)
        .outerjoin(Patient, Patient.id == LetterEmail.patient_pk)
        .where(LetterEmail.job_id == job_id, LetterEmail.chunk_no == chunk.chunk_no,
               LetterEmail.status == EmailStatus.QUEUED)
        .order_by(LetterEmail.id)).all()
    # Plain values read once: after each per-message commit the ORM would reload an expired object on first access.
    variants: dict[int, tuple[str, str, EmailBody]] = {}
    for template_id in {row.template_id for row in rows}:
        template = db.session.get(LetterTemplate, template_id)
        variants[template_id] = (template.lang, template.audience, body_for(template))
    breach_reference = breach.reference
    chunk_count = db.session.scalar(select(func.count()).select_from(LetterChunk)
                                    .where(LetterChunk.job_id == job_id)) or 1
    rate = process_rate(job, chunk_count)
    db.session.commit()  # end the read transaction
    ours = exists().where(LetterChunk.id == chunk_id, LetterChunk.attempts == attempt,
                          LetterChunk.status == ChunkStatus.RUNNING)
    mark = _MARK.where(ours)
    temporary = 0
    with _marks_connection() as marks, MailSession(config, rate=rate) as session:
        try:
            for row in rows:
                message_id = row.message_id or new_message_id(config)
                marked = marks.execute(mark, {
                    "email_id": row.id, "attempts": row.attempts, "next_attempts": row.attempts + 1,
                    "attempted_at": utcnow(), "new_message_id": message_id}).rowcount
                marks.commit()  # the previous message's outcome and this one's mark
                if not marked:
                    return "skipped"  # the chunk was taken over, or the message handled elsewhere
                if not row.email:  # the address was removed from the patient file since the job started
                    _record(marks, row.id, EmailStatus.REFUSED, code="", text="no address in the patient file")
                    continue
                lang, audience, body = variants[row.template_id]
                reference = letter_reference(breach_reference, row.number)
                salutation = salutation_for(lang, audience, row.salutation, row.civility, bool(row.deceased),
                                            minor=bool(row.minor))  # CSP L.1111-2: to the parents
                content = body.message_for(reference, salutation)
                headers = {"Auto-Submitted": "auto-generated",  # RFC 3834: no auto-reply
                           "X-Notifier-Reference": reference}
                if row.email.isascii():
                    message = build_bulk_message(config, row.email, content.subject, content.text, content.html,
                                                 message_id=message_id, headers=headers)
                else:  # an internationalised address: the email package's generator
                    message = build_message(config, row.email, content.subject, content.text, content.html,
                                            message_id=message_id, headers=headers)
                delivery = session.send(message, row.email)
                if delivery.accepted:
                    _record(marks, row.id, EmailStatus.SENT, queue_id=delivery.queue_id)
                elif delivery.temporary:
                    temporary += 1
                    _record(marks, row.id, EmailStatus.QUEUED, code=str(delivery.code), text=delivery.text)
                else:
                    _record(marks, row.id, EmailStatus.REFUSED, code=str(delivery.code or ""), text=delivery.text)
        finally:
            try:
                marks.commit()  # the last outcome; after an error, the outcomes already known (accepted above all)
            except Exception:  # the database itself failed: run_chunk records the failure
                marks.rollback()
    if temporary:
        raise TemporaryRefusals(f"{temporary} message(s) refused for now by the relay (4xx): they stay queued; "
                                "resume the job later (notifier email send)")
    done = db.session.execute(update(LetterChunk).where(
        LetterChunk.id == chunk_id, LetterChunk.attempts == attempt, LetterChunk.status == ChunkStatus.RUNNING)
        .values(status=ChunkStatus.DONE, finished_at=utcnow(), error=None)).rowcount
    db.session.commit()
    return ChunkStatus.DONE if done else "skipped"


@contextlib.contextmanager
def _marks_connection() -> Iterator[Connection]:
    """The chunk's own database connection for the per-message marks and outcomes, each committed without a disk
    flush: PostgreSQL's synchronous_commit off, SQLite's synchronous=NORMAL (in WAL mode), set once on this
    connection and restored before it goes back to the pool (a connection that cannot be restored is discarded).

    A committed outcome then survives the worker being killed (the database server, or the operating system's page
    cache, has it): what kill -9 and a lost Celery worker do. Only a crash of the database server or of the machine
    within a fraction of a second can lose the last outcomes: those messages stay queued and are sent again, with
    their Message-ID. Without this a disk flush per message caps the job at a few dozen e-mails per second."""
    relaxed, restored = {"postgresql": ("SET synchronous_commit TO OFF", "RESET synchronous_commit"),
                         "sqlite": ("PRAGMA synchronous=NORMAL", "PRAGMA synchronous=FULL")}.get(
                             db.engine.dialect.name, (None, None))
    with db.engine.connect() as connection:
        if relaxed:
            connection.exec_driver_sql(relaxed)
            connection.commit()
        try:
            yield connection
        finally:
            if restored:
                try:
                    connection.rollback()
                    connection.exec_driver_sql(restored)
                    connection.commit()
                except Exception:  # the caller's error matters more; never reuse a relaxed connection
                    connection.invalidate()


# Core statements on the table (no ORM bulk-update machinery per message), compiled once and cached.
_EMAILS = LetterEmail.__table__
_MARK = (_EMAILS.update()
         .where(_EMAILS.c.id == bindparam("email_id"), _EMAILS.c.status == EmailStatus.QUEUED,
                _EMAILS.c.attempts == bindparam("attempts"))
         .values(attempts=bindparam("next_attempts"), attempted_at=bindparam("attempted_at"),
                 message_id=bindparam("new_message_id")))
_OUTCOME_COLUMNS = {
    EmailStatus.SENT: ("status", "smtp_code", "smtp_text", "queue_id", "sent_at"),
    EmailStatus.REFUSED: ("status", "smtp_code", "smtp_text", "failed_at"),
    EmailStatus.QUEUED: ("status", "smtp_code", "smtp_text"),
}
_OUTCOMES = {status: _EMAILS.update().where(_EMAILS.c.id == bindparam("email_id"))
             .values({name: bindparam(f"new_{name}") for name in columns})
             for status, columns in _OUTCOME_COLUMNS.items()}


def _record(connection: Connection, email_id: int, status: str, *, queue_id: str | None = None, code: str | None = None,
            text: str | None = None) -> None:
    now = utcnow()
    values = {"status": status, "smtp_code": code, "smtp_text": (text or None) and text[:500],
              "queue_id": queue_id, "sent_at": now, "failed_at": now}
    connection.execute(_OUTCOMES[status], {"email_id": email_id} | {
        f"new_{name}": values[name] for name in _OUTCOME_COLUMNS[status]})


__all__ = ["MailError", "TemporaryRefusals", "body_for", "email_counts", "send_chunk"]
