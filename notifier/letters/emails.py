"""Patient e-mails (GDPR art. 34: a direct communication; e-mail is one): the e-mail job, the counts per channel and
the postage estimate, the bounces, and what the complementary notification reports.

An e-mail job is a LetterJob of kind "email": the same chunks, runners (local pool or Celery), leases and resumption
as the letter lots (jobs.py); each chunk sends its LetterEmail rows (email_send.py). One LetterEmail per patient and
breach, ever: a patient is e-mailed at most once, and a refused or bounced e-mail sends the patient back to paper
(services.gets_paper), picked up by the next letter job, `--new-only` included.
"""

from __future__ import annotations

import csv
import io
import mailbox
import re
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, delete, exists, func, insert, literal, not_, select, update
from sqlalchemy.orm import aliased

from notifier.accounts.models import User
from notifier.audit import services as audit
from notifier.breaches.closing import ensure_open
from notifier.breaches.models import Breach
from notifier.core.i18n import N_
from notifier.core.types import utcnow
from notifier.extensions import db
from notifier.letters.jobs import GenerationRefused, JobStart, assign_numbers, chunk_is_abandoned
from notifier.letters.models import Letter, LetterChunk, LetterEmail, LetterJob
from notifier.letters.services import (
    LetterError,
    addressable,
    current_templates,
    email_failed,
    gets_email,
    gets_paper,
    has_email,
    letter_reference,
    parse_reference,
    template_problems,
    template_spec,
    variant_index_expression,
)
from notifier.letters.states import Channel, ChunkStatus, EmailStatus, JobKind, JobStatus, LetterStatus
from notifier.patients.models import Patient
from notifier.patients.states import PatientStatus

DEFAULT_CHUNK_SIZE = 1000
MAX_CHUNK_SIZE = 50_000
MAX_RATE = 10_000.0
BOUNCES_MAX_BYTES = 200 * 1024 * 1024  # a DSN is a few KiB: 200 MiB is tens of thousands of bounces
BOUNCES_UPLOAD_MAX_BYTES = 50 * 1024 * 1024  # the upload form's limit (EMAIL_BOUNCES_MAX_BYTES): a web request


STATUS_LABELS: dict[str, str] = {
    "queued": N_("En attente"),
    "sent": N_("Envoyé (accepté par le relais)"),
    "refused": N_("Refusé par le relais"),
    "bounced": N_("Revenu (non distribué)"),
}


class EmailRefused(GenerationRefused):
    """The e-mail job cannot start as asked: exit 2 on the command line, a message on the page."""


def ready():
    return Patient.status == PatientStatus.READY


def _index(specs):
    return func.coalesce(variant_index_expression(specs), -1)


# --- counts before a job: channels and postage --------------------------------------------------------------------


@dataclass
class ChannelPlan:
    """Who goes by which channel with the current variants, and what the paper costs (shown before a job)."""

    letters: int  # patients a letter job writes to (paper only, no address, e-mail failed, "both")
    emails: int  # patients e-mailed (sent already, queued or to send)
    both: int  # patients of "both" variants who get a letter and an e-mail
    email_only: int  # e-mailed instead of a letter ("e-mail where known")
    email_failed: int  # refused or bounced: back to paper
    nowhere: int  # held for review, or neither a postcode nor an e-mail address
    postage_price: float
    by_variant: list[dict[str, Any]] = field(default_factory=list)

    @property
    def postage(self) -> float:
        return round(self.letters * self.postage_price, 2)

    @property
    def postage_saved(self) -> float:
        return round(self.email_only * self.postage_price, 2)


def channel_plan(breach_id: int, *, postage_price: float) -> ChannelPlan:
    templates = current_templates(breach_id)
    specs = [template_spec(t) for t in templates]
    patients = Patient.breach_id == breach_id
    paper = and_(addressable(), gets_paper(specs))
    email = and_(ready(), gets_email(specs))
    both = [i for i, spec in enumerate(specs) if spec.get("channel") == Channel.BOTH]
    failed = email_failed()
    row = db.session.execute(select(
        func.count().filter(paper), func.count().filter(email),
        func.count().filter(and_(email, addressable(), _index(specs).in_(both))) if both else literal(0),
        func.count().filter(and_(email, not_(paper))), func.count().filter(and_(email, failed)),
        func.count().filter(and_(not_(paper), not_(email))),
    ).select_from(Patient).where(patients)).one()
    by_variant = []
    if templates:
        # Grouped over a subquery: PostgreSQL does not see two renderings of the CASE (own parameters) as one.
        rows = select(_index(specs).label("variant"), case((has_email(), 1), else_=0).label("email")).where(
            patients, ready()).subquery()
        counts, with_email = {}, {}
        for index, total, emailed in db.session.execute(select(rows.c.variant, func.count(), func.sum(rows.c.email))
                                                        .group_by(rows.c.variant)):
            counts[index], with_email[index] = total, int(emailed or 0)
        for index, template in enumerate(templates):
            by_variant.append({"variant": template.variant, "channel": template.channel,
                               "patients": counts.get(index, 0), "with_email": with_email.get(index, 0)})
    return ChannelPlan(letters=row[0], emails=row[1], both=row[2], email_only=row[3], email_failed=row[4],
                       nowhere=row[5], postage_price=float(postage_price), by_variant=by_variant)


def breach_email_counts(breach_id: int) -> dict[str, int]:
    rows = db.session.execute(select(LetterEmail.status, func.count()).where(LetterEmail.breach_id == breach_id)
                              .group_by(LetterEmail.status)).all()
    return {status.value: 0 for status in EmailStatus} | {status: count for status, count in rows}


def latest_email_job(breach_id: int) -> LetterJob | None:
    return db.session.scalar(select(LetterJob).where(LetterJob.breach_id == breach_id,
                                                     LetterJob.kind == JobKind.EMAIL)
                             .order_by(LetterJob.id.desc()).limit(1))


# --- starting an e-mail job ---------------------------------------------------------------------------------------


@dataclass
class EmailPreview:
    """What `--dry-run` prints: what a job would do now, nothing changed."""

    to_send: int
    already_sent: int
    failed: int
    variants: list[str]
    rate: float | None


def _scope(breach: Breach, variant: str | None):
    templates = current_templates(breach.id)
    if not templates:
        raise EmailRefused(N_("Aucun modèle de courrier pour cette violation\u00a0: rédigez-le d'abord."))
    if variant is not None and variant not in {t.variant for t in templates}:
        raise EmailRefused(N_("Pas de variante «\u00a0%(variant)s\u00a0» (variantes\u00a0: %(variants)s)."),
                           variant=variant, variants=", ".join(t.variant for t in templates))
    scope = [index for index, t in enumerate(templates) if t.channel in Channel.with_email()
             and (variant is None or t.variant == variant)]
    if not scope:
        raise EmailRefused(N_(
            "Aucune variante n'est envoyée par courriel\u00a0: choisissez le canal «\u00a0courriel si une adresse "
            "est connue\u00a0» ou «\u00a0courrier et courriel\u00a0» dans le modèle (nouvelle version à faire "
            "approuver)."))
    chosen = [templates[index] for index in scope]
    incomplete = [f"{t.variant} v{t.version} ({', '.join(template_problems(t))})" for t in chosen
                  if template_problems(t)]
    if incomplete:
        raise EmailRefused(N_("Éléments de l'article 34(2) manquants\u00a0: %(missing)s."),
                           missing="; ".join(incomplete))
    unapproved = [f"{t.variant} v{t.version}" for t in chosen if not t.approved]
    if unapproved:
        raise EmailRefused(N_("Modèle non approuvé (quatre yeux)\u00a0: %(versions)s. Un courriel n'est envoyé "
                              "qu'avec une version approuvée par un juriste."), versions=", ".join(unapproved))
    return templates, [template_spec(t) for t in templates], scope


def _eligible(breach_id: int, specs, scope):
    """Patients this job e-mails: ready, with an address, of an e-mailed variant in scope, never e-mailed (a row
    still queued is taken over)."""
    other = aliased(LetterEmail)  # never correlated to the LetterEmail an UPDATE is changing
    done = exists().where(other.patient_pk == Patient.id, other.status != EmailStatus.QUEUED)
    return and_(Patient.breach_id == breach_id, ready(), has_email(), _index(specs).in_(scope), not_(done))


def _rate(rate: float | None, config) -> float | None:
    value = config.get("EMAIL_RATE") if rate is None else rate
    if value in (None, "", 0, "0"):
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise EmailRefused(N_("Débit d'envoi invalide (messages par seconde).")) from None
    if not 0 < value <= MAX_RATE:
        raise EmailRefused(N_("Débit d'envoi entre 0 et %(max)s messages par seconde."), max=int(MAX_RATE))
    return value


def preview(breach: Breach, *, variant: str | None = None, rate: float | None = None, config) -> EmailPreview:
    templates, specs, scope = _scope(breach, variant)
    to_send = db.session.scalar(select(func.count()).select_from(Patient).where(_eligible(breach.id, specs, scope)))
    counts = breach_email_counts(breach.id)
    return EmailPreview(to_send=to_send or 0, already_sent=counts[EmailStatus.SENT],
                        failed=counts[EmailStatus.REFUSED] + counts[EmailStatus.BOUNCED],
                        variants=[templates[index].variant for index in scope], rate=_rate(rate, config))


def start_email_job(breach: Breach, *, user: User | None, config, variant: str | None = None,
                    rate: float | None = None, chunk_size: int | None = None) -> JobStart:
    """Plan the e-mails of a breach: one queued LetterEmail per patient to inform (taking over those an earlier,
    interrupted job left queued, with their Message-ID), in chunks of `chunk_size`. A job interrupted (killed,
    relay down, 4xx) is resumed by starting again: what was sent is never sent again."""
    ensure_open(breach)
    chunk_size = int(chunk_size or config.get("EMAIL_CHUNK_SIZE") or DEFAULT_CHUNK_SIZE)
    if not 1 <= chunk_size <= MAX_CHUNK_SIZE:
        raise EmailRefused(N_("Taille de lot entre 1 et %(max)s."), max=MAX_CHUNK_SIZE)
    if not config.get("SMTP_HOST") or not config.get("MAIL_FROM"):
        raise EmailRefused(N_("Aucun relais SMTP configuré (NOTIFIER_SMTP_HOST et NOTIFIER_MAIL_FROM)."))
    rate = _rate(rate, config)
    templates, specs, scope = _scope(breach, variant)
    unfinished = db.session.scalars(select(LetterJob).where(
        LetterJob.breach_id == breach.id, LetterJob.kind == JobKind.EMAIL,
        LetterJob.status.in_(JobStatus.unfinished()))).all()
    for job in unfinished:
        busy = [chunk for chunk in job.chunks if chunk.status == ChunkStatus.RUNNING and not chunk_is_abandoned(chunk)]
        if busy:
            raise EmailRefused(N_("Un envoi de courriels est déjà en cours pour cette violation (envoi n°%(job)s)"
                                  "\u00a0: attendez sa fin."), job=job.id)
    for job in unfinished:
        job.status = JobStatus.SUPERSEDED
        job.finished_at = utcnow()
    sent_before = breach_email_counts(breach.id)[EmailStatus.SENT]
    eligible = _eligible(breach.id, specs, scope)
    assign_numbers(breach, eligible)
    job = LetterJob(organisation_id=breach.organisation_id, breach_id=breach.id, token=secrets.token_urlsafe(18),
                    kind=JobKind.EMAIL, out_dir="", draft=False, variant_filter=variant, lot_size=chunk_size,
                    variants=specs, status=JobStatus.RUNNING, rate=rate, created_by_id=user.id if user else None,
                    run_started_at=utcnow(), run_started_done=0)
    db.session.add(job)
    db.session.flush()

    # Queued messages no patient should get any more (held since, address removed, variant's channel changed):
    # never tried, they are dropped; tried (their fate unknown), they are withdrawn as refused, so the patient is
    # owed a letter rather than left uninformed.
    still_wanted = select(Patient.id).where(Patient.breach_id == breach.id, ready(), gets_email(specs))
    # A returned letter replaced by an e-mail (returns.email_returned) is wanted whatever the variant's channel.
    chosen_by_hand = select(Letter.id).where(Letter.breach_id == breach.id, Letter.status == LetterStatus.EMAILED)
    stale = and_(LetterEmail.breach_id == breach.id, LetterEmail.status == EmailStatus.QUEUED,
                 LetterEmail.job_id != job.id, LetterEmail.letter_id.not_in(chosen_by_hand),
                 (LetterEmail.patient_pk.is_(None)) | LetterEmail.patient_pk.not_in(still_wanted))
    db.session.execute(delete(LetterEmail).where(stale, LetterEmail.attempts == 0),
                       execution_options={"synchronize_session": False})
    db.session.execute(update(LetterEmail).where(stale).values(
        status=EmailStatus.REFUSED, smtp_code="", failed_at=utcnow(),
        smtp_text="withdrawn before a confirmed sending (patient held, address or channel changed)"),
        execution_options={"synchronize_session": False})

    template_of = case(*[(_index(specs) == index, specs[index]["template_id"]) for index in scope], else_=None)
    in_scope = select(Patient.id).where(eligible)
    taken_over = db.session.execute(update(LetterEmail).where(
        LetterEmail.breach_id == breach.id, LetterEmail.status == EmailStatus.QUEUED,
        LetterEmail.patient_pk.in_(in_scope))
        .values(job_id=job.id, chunk_no=0,
                template_id=select(template_of).where(Patient.id == LetterEmail.patient_pk).scalar_subquery()),
        execution_options={"synchronize_session": False}).rowcount or 0
    new = (select(literal(breach.id), Patient.id, Letter.id, template_of, literal(job.id), literal(0),
                  literal(EmailStatus.QUEUED.value), literal(0))
           .join(Letter, Letter.patient_pk == Patient.id)
           .where(eligible, ~exists().where(LetterEmail.patient_pk == Patient.id)))
    db.session.execute(insert(LetterEmail).from_select(
        ["breach_id", "patient_pk", "letter_id", "template_id", "job_id", "chunk_no", "status", "attempts"], new))

    chunks = list(_plan_chunks(job, {spec["template_id"]: index for index, spec in enumerate(specs)}))
    if not chunks:
        db.session.rollback()
        raise EmailRefused(N_("Aucun patient à informer par courriel (adresse connue, patient non retenu, courriel "
                              "pas encore envoyé)."))
    db.session.execute(insert(LetterChunk), chunks)
    job.total = sum(chunk["expected"] for chunk in chunks)
    job.held = db.session.scalar(select(func.count()).select_from(Patient).where(
        Patient.breach_id == breach.id, not_(ready()), has_email())) or 0
    audit.record("letters.email_job_start", user=user, obj=job, breach_id=breach.id,
                 details={"job": job.id, "variant": variant, "emails": job.total, "chunks": len(chunks),
                          "taken_over": taken_over, "already_sent": sent_before, "rate": rate,
                          "templates": {templates[i].variant: templates[i].version for i in scope}})
    db.session.commit()
    return JobStart(job=job, resumed=bool(taken_over or sent_before), done_before=sent_before)


@dataclass
class OneEmail:
    """What `email_one_patient` did: the patient's e-mail, and the one-message job to run (None when nothing is left
    to send: the e-mail was already accepted, or is in a job still running)."""

    email: LetterEmail
    job: LetterJob | None


def email_one_patient(breach: Breach, patient: Patient, *, user: User | None, config, source: str) -> OneEmail:
    """Queue one e-mail of the patient's approved variant to the address of the patient file, in a job of its own (one
    chunk of one message, run by the same runners as any e-mail job), whatever the variant's channel: the DPO chose
    e-mail for this patient (a returned letter, letters/returns.py). At most one e-mail per patient and breach, as
    for the bulk jobs: asking twice is asking once; a message left queued by a job that no longer runs is planned
    again (with its Message-ID); an e-mail already refused or bounced is refused. Flushed, not committed."""
    ensure_open(breach)
    if patient.breach_id != breach.id:
        raise EmailRefused(N_("Patient d'une autre violation."))
    if not config.get("SMTP_HOST") or not config.get("MAIL_FROM"):
        raise EmailRefused(N_("Aucun relais SMTP configuré (NOTIFIER_SMTP_HOST et NOTIFIER_MAIL_FROM)."))
    existing = db.session.scalar(select(LetterEmail).where(LetterEmail.breach_id == breach.id,
                                                           LetterEmail.patient_pk == patient.id))
    if existing is not None and existing.status in EmailStatus.failed():
        raise EmailRefused(N_("Le courriel de ce patient a déjà échoué (%(code)s)\u00a0: son adresse électronique "
                              "ne l'atteint pas."), code=existing.smtp_code or existing.status)
    if existing is not None and existing.status == EmailStatus.SENT:
        return OneEmail(existing, None)
    if existing is not None:
        running = db.session.scalar(select(func.count()).select_from(LetterChunk).join(
            LetterJob, LetterJob.id == LetterChunk.job_id).where(
            LetterChunk.job_id == existing.job_id, LetterChunk.chunk_no == existing.chunk_no,
            LetterJob.status == JobStatus.RUNNING, LetterChunk.status.in_([ChunkStatus.PENDING, ChunkStatus.RUNNING])))
        if running:
            return OneEmail(existing, None)
    if not patient.email:
        raise EmailRefused(N_("Aucune adresse électronique dans la fiche du patient."))
    templates = current_templates(breach.id)
    specs = [template_spec(t) for t in templates]
    index = db.session.scalar(select(_index(specs)).where(Patient.id == patient.id)) if specs else -1
    if index is None or index < 0:
        raise EmailRefused(N_("Aucune variante du courrier ne s'applique à ce patient."))
    template = templates[index]
    if template_problems(template):
        raise EmailRefused(N_("Éléments de l'article 34(2) manquants\u00a0: %(missing)s."),
                           missing=f"{template.variant} v{template.version} ({', '.join(template_problems(template))})")
    if not template.approved:
        raise EmailRefused(N_("Modèle non approuvé (quatre yeux)\u00a0: %(versions)s. Un courriel n'est envoyé "
                              "qu'avec une version approuvée par un juriste."),
                           versions=f"{template.variant} v{template.version}")
    letter = db.session.scalar(select(Letter).where(Letter.patient_pk == patient.id))
    if letter is None:
        raise EmailRefused(N_("Ce patient n'a pas encore de courrier (ni de référence)."))
    job = LetterJob(organisation_id=breach.organisation_id, breach_id=breach.id, token=secrets.token_urlsafe(18),
                    kind=JobKind.EMAIL, out_dir="", draft=False, variant_filter=template.variant, lot_size=1,
                    variants=specs, status=JobStatus.RUNNING, rate=_rate(None, config), total=1, held=0,
                    created_by_id=user.id if user else None, run_started_at=utcnow(), run_started_done=0)
    db.session.add(job)
    db.session.flush()
    if existing is None:
        existing = LetterEmail(breach_id=breach.id, patient_pk=patient.id, letter_id=letter.id,
                               template_id=template.id, job_id=job.id, chunk_no=1, status=EmailStatus.QUEUED,
                               attempts=0)
        db.session.add(existing)
    else:  # left queued by a job that stopped: sent by this one, same Message-ID
        existing.job_id, existing.chunk_no, existing.template_id = job.id, 1, template.id
    db.session.flush()
    db.session.add(LetterChunk(job_id=job.id, chunk_no=1, variant_index=index, first_postcode="",
                               first_pk=existing.id, last_postcode="", last_pk=existing.id, expected=1,
                               status=ChunkStatus.PENDING, attempts=0))
    audit.record("letters.email_job_start", user=user, obj=job, breach_id=breach.id,
                 details={"job": job.id, "variant": template.variant, "emails": 1, "chunks": 1, "source": source,
                          "templates": {template.variant: template.version}})
    db.session.flush()
    return OneEmail(existing, job)


def _plan_chunks(job: LetterJob, variant_of_template: dict[int, int]) -> Iterator[dict[str, Any]]:
    """Cut the job's messages, per variant version and in row order, into chunks of job.lot_size (id ranges)."""
    query = (select(LetterEmail.id, LetterEmail.template_id).where(LetterEmail.job_id == job.id)
             .order_by(LetterEmail.template_id, LetterEmail.id).execution_options(yield_per=20_000))
    plan: list[tuple[int, int, int, int]] = []  # template, first id, last id, count
    for email_id, template_id in db.session.execute(query).all():
        if plan and plan[-1][0] == template_id and plan[-1][3] < job.lot_size:
            template, first, _last, count = plan[-1]
            plan[-1] = (template, first, email_id, count + 1)
        else:
            plan.append((template_id, email_id, email_id, 1))
    for chunk_no, (template_id, first, last, count) in enumerate(plan, start=1):
        db.session.execute(update(LetterEmail).where(
            LetterEmail.job_id == job.id, LetterEmail.template_id == template_id, LetterEmail.id >= first,
            LetterEmail.id <= last).values(chunk_no=chunk_no), execution_options={"synchronize_session": False})
        yield {"job_id": job.id, "chunk_no": chunk_no, "variant_index": variant_of_template[template_id],
               "first_postcode": "", "first_pk": first, "last_postcode": "", "last_pk": last, "expected": count,
               "status": ChunkStatus.PENDING, "attempts": 0}


# --- status -------------------------------------------------------------------------------------------------------


def failed_emails(breach_id: int, *, limit: int = 200) -> list[tuple[str, str, str, str]]:
    """Refused and bounced e-mails: (reference, status, code, text), for the status command and page."""
    breach = db.session.get(Breach, breach_id)

    rows = db.session.execute(select(Letter.number, LetterEmail.status, LetterEmail.smtp_code, LetterEmail.smtp_text)
                              .join(Letter, Letter.id == LetterEmail.letter_id)
                              .where(LetterEmail.breach_id == breach_id,
                                     LetterEmail.status.in_(EmailStatus.failed()))
                              .order_by(LetterEmail.id).limit(limit)).all()
    return [(letter_reference(breach.reference, number), status, code or "", text or "")
            for number, status, code, text in rows]


def people_informed(breach: Breach) -> dict[str, dict[str, Any]]:
    """For the complementary notification: the patients informed by e-mail (accepted by the relay, not bounced)."""
    count, first, last = db.session.execute(select(func.count(), func.min(LetterEmail.sent_at),
                                                   func.max(LetterEmail.sent_at))
                                            .where(LetterEmail.breach_id == breach.id,
                                                   LetterEmail.status == EmailStatus.SENT)).one()
    if not count:
        return {}
    return {"email": {"count": count, "first": first, "last": last}}


# --- bounces ------------------------------------------------------------------------------------------------------


class BounceFileError(LetterError):
    """The bounce file cannot be read (unknown format, too large): nothing is applied."""


@dataclass
class Bounce:
    """One failed delivery read from a file: what identifies the message, and why it failed."""

    position: str  # "message 3", "line 12": where it is in the file
    message_id: str | None = None
    reference: str | None = None
    queue_id: str | None = None
    recipient: str | None = None
    status: str = ""
    diagnostic: str = ""


@dataclass
class BounceResult:
    read: int = 0  # DSN messages or CSV rows read
    bounced: int = 0  # e-mails newly marked bounced
    already: int = 0  # already bounced (the same file applied twice)
    ignored: int = 0  # delays, successful deliveries, messages that are not DSNs
    unmatched: list[str] = field(default_factory=list)  # positions of bounces matching no e-mail of the breach
    # What each bounce read became, for the upload page: (position, reference or "", status, diagnostic, outcome),
    # outcome being "bounced", "already" or "unmatched"; the first SHOWN_BOUNCES only.
    lines: list[tuple[str, str, str, str, str]] = field(default_factory=list)


SHOWN_BOUNCES = 500
BOUNCE_OUTCOMES = {"bounced": N_("Marqué revenu"), "already": N_("Déjà connu"),
                   "unmatched": N_("Sans correspondance")}


_MSGID = re.compile(r"<[^<>\s]+>")
_STATUS = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")


def _text(value) -> str:
    return " ".join(str(value or "").split())


def _address(value: str) -> str | None:
    """rfc822;jean@example.fr -> jean@example.fr"""
    value = _text(value)
    if ";" in value:
        value = value.split(";", 1)[1]
    value = value.strip().strip("<>").strip().lower()
    return value or None


def _original_headers(report: Message) -> Message | None:
    for part in report.walk():
        kind = part.get_content_type()
        if kind in ("message/rfc822", "message/global"):
            payload = part.get_payload()
            if isinstance(payload, list) and payload:
                return payload[0]
        if kind in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            raw = part.get_payload(decode=True) or b""
            return message_from_bytes(raw, policy=default_policy)
    return None


# Where a bounce was found, said in the reader's language: read_bounces records "message 3" (mbox) or "line 12"
# (the relay's CSV), a .eml keeps its file name.
POSITION_TEXTS = {"message": N_("message %(n)s"), "line": N_("ligne %(n)s")}


def describe_position(position: str, translate) -> str:
    kind, _, number = position.partition(" ")
    if kind in POSITION_TEXTS and number.isdigit():
        return translate(POSITION_TEXTS[kind], n=number)
    return position


def dsn_bounces(message: Message, position: str) -> tuple[list[Bounce], bool]:
    """The failed recipients of one delivery-status notification (RFC 3464: multipart/report with a
    message/delivery-status part; Action: failed is final, delayed is not). Returns (bounces, is_a_dsn)."""
    status_part = next((part for part in message.walk() if part.get_content_type() == "message/delivery-status"),
                       None)
    if status_part is None:
        return [], False
    original = _original_headers(message)
    message_id = reference = None
    if original is not None:
        found = _MSGID.search(_text(original.get("Message-ID")))
        message_id = found.group(0) if found else None
        reference = _text(original.get("X-Notifier-Reference")) or None
    blocks = status_part.get_payload()
    if not isinstance(blocks, list):  # some parsers leave it as text: parse the header blocks ourselves
        raw = status_part.get_payload(decode=True) or b""
        blocks = [message_from_bytes(block.encode(), policy=default_policy)
                  for block in re.split(r"\r?\n\r?\n", raw.decode("utf-8", "replace")) if block.strip()]
    bounces = []
    for block in blocks[1:] if len(blocks) > 1 else blocks:
        action = _text(block.get("Action")).lower()
        if action != "failed":
            continue
        status = _text(block.get("Status"))
        bounces.append(Bounce(position=position, message_id=message_id, reference=reference,
                              recipient=_address(block.get("Final-Recipient") or block.get("Original-Recipient")),
                              status=status[:20], diagnostic=_text(block.get("Diagnostic-Code"))[:480]))
    return bounces, True


CSV_ALIASES = {
    "message_id": ("message_id", "messageid", "message-id", "msgid", "msg_id"),
    "queue_id": ("queue_id", "queueid", "queue-id", "queue", "smtp_id", "id_file"),
    "recipient": ("recipient", "rcpt", "email", "to", "address", "destinataire", "adresse"),
    "reference": ("reference", "ref", "x-notifier-reference", "référence"),
    "status": ("status", "dsn", "code", "statut", "dsn_status", "event", "type"),
    "diagnostic": ("diagnostic", "diagnostic_code", "reason", "message", "error", "raison", "motif", "response"),
}
_FAILED_WORDS = {"bounce", "bounced", "hard_bounce", "hardbounce", "failed", "failure", "rejected", "dropped",
                 "undeliverable", "echec", "rejete", "npai"}
_TEMPORARY_WORDS = {"delayed", "deferred", "soft_bounce", "softbounce", "delivered", "sent", "ok", "accepted"}


def csv_bounces(data: bytes) -> tuple[list[Bounce], int]:
    """A relay's bounce report as CSV (separator sniffed, UTF-8 with or without BOM, or Latin-1): one row per
    message, identified by its Message-ID, queue id, reference or recipient. Rows whose status is temporary or a
    success (4.x.x, deferred, delivered) are ignored. Returns (bounces, rows ignored)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    sample = text[:65536]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader, None)
    if not header:
        raise BounceFileError(N_("Fichier de retours vide."))
    names = [_text(name).lower().replace(" ", "_") for name in header]
    columns = {key: next((names.index(alias) for alias in aliases if alias in names), None)
               for key, aliases in CSV_ALIASES.items()}
    if all(columns[key] is None for key in ("message_id", "queue_id", "recipient", "reference")):
        raise BounceFileError(N_("Fichier de retours\u00a0: aucune colonne message_id, queue_id, recipient ou "
                                 "reference."))
    bounces, ignored = [], 0
    for line, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue

        def cell(key, row=row):
            index = columns[key]
            return _text(row[index]) if index is not None and index < len(row) else ""

        status = cell("status")
        word = status.lower().replace(" ", "_")
        code = _STATUS.search(status)
        if word in _TEMPORARY_WORDS or (code and code.group(1) in "24") or (status[:1] in ("2", "4")):
            ignored += 1
            continue
        if status and not code and word not in _FAILED_WORDS and not status.startswith("5"):
            ignored += 1
            continue
        found = _MSGID.search(cell("message_id"))
        message_id = found.group(0) if found else (f"<{cell('message_id').strip('<>')}>" if cell("message_id")
                                                   else None)
        bounces.append(Bounce(position=f"line {line}", message_id=message_id, reference=cell("reference") or None,
                              queue_id=cell("queue_id") or None, recipient=_address(cell("recipient")),
                              status=(code.group(0) if code else status)[:20], diagnostic=cell("diagnostic")[:480]))
    return bounces, ignored


def read_bounces(path: Path, *, max_bytes: int = BOUNCES_MAX_BYTES) -> tuple[list[Bounce], int, int]:
    """An mbox, a folder of .eml files, a single .eml, or a relay's CSV. Returns (bounces, items read, ignored)."""
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".eml")
        if not files:
            raise BounceFileError(N_("Dossier sans fichier .eml."))
        if sum(p.stat().st_size for p in files) > max_bytes:
            raise BounceFileError(N_("Retours trop volumineux (%(max)s Mio au plus)."), max=max_bytes >> 20)
        return _messages(((p.name, p.read_bytes()) for p in files), len(files))
    if not path.is_file():
        raise BounceFileError(N_("Fichier introuvable."))
    if path.stat().st_size > max_bytes:
        raise BounceFileError(N_("Retours trop volumineux (%(max)s Mio au plus)."), max=max_bytes >> 20)
    with open(path, "rb") as stream:
        head = stream.read(4096)
    if head.startswith(b"From "):
        box = mailbox.mbox(str(path), create=False)
        try:
            keys = list(box.keys())
            return _messages(((f"message {n}", box.get_bytes(key)) for n, key in enumerate(keys, start=1)), len(keys))
        finally:
            box.close()
    lowered = head.lower()
    if path.suffix.lower() == ".eml" or b"content-type:" in lowered and b"multipart/report" in lowered:
        return _messages([(path.name, path.read_bytes())], 1)
    try:
        bounces, ignored = csv_bounces(path.read_bytes())
    except csv.Error:  # a NUL byte, a runaway quoted field: not a CSV the relay wrote
        raise BounceFileError(N_("Fichier de retours illisible\u00a0: ni une mbox, ni un .eml, ni le CSV du "
                                 "relais.")) from None
    return bounces, len(bounces) + ignored, ignored


def _messages(items: Iterable[tuple[str, bytes]], count: int) -> tuple[list[Bounce], int, int]:
    bounces, ignored = [], 0
    for position, raw in items:
        found, is_dsn = dsn_bounces(message_from_bytes(raw, policy=default_policy), position)
        if not found:
            ignored += 1  # not a DSN, or a delay / delivery report
        bounces.extend(found)
        del is_dsn
    return bounces, count, ignored


def _match(breach: Breach, bounce: Bounce) -> LetterEmail | None:
    query = select(LetterEmail).where(LetterEmail.breach_id == breach.id)
    if bounce.message_id:
        found = db.session.scalar(query.where(LetterEmail.message_id == bounce.message_id))
        if found is not None:
            return found
    if bounce.queue_id:
        found = db.session.scalars(query.where(LetterEmail.queue_id == bounce.queue_id).limit(2)).all()
        if len(found) == 1:
            return found[0]
    if bounce.reference:
        number = parse_reference(breach.reference, bounce.reference)  # None: another breach's, or mistyped
        if number is not None:
            found = db.session.scalar(query.join(Letter, Letter.id == LetterEmail.letter_id)
                                      .where(Letter.number == number))
            if found is not None:
                return found
    if bounce.recipient:
        found = db.session.scalars(query.join(Patient, Patient.id == LetterEmail.patient_pk)
                                   .where(func.lower(Patient.email) == bounce.recipient).limit(2)).all()
        if len(found) == 1:
            return found[0]
    return None


def apply_bounces(breach: Breach, bounces: list[Bounce], *, read: int, ignored: int, user: User | None,
                  source: str, dry_run: bool = False) -> BounceResult:
    """Mark the e-mails that bounced (sent, or queued with their fate unknown) as bounced: their patients then get a
    letter. Idempotent: a file applied twice changes nothing the second time. Flushed, not committed."""
    ensure_open(breach)
    result = BounceResult(read=read, ignored=ignored)
    now = utcnow()
    seen: set[int] = set()
    def line(bounce: Bounce, email: LetterEmail | None, outcome: str) -> None:
        if len(result.lines) < SHOWN_BOUNCES:
            letter = db.session.get(Letter, email.letter_id) if email is not None else None
            reference = letter_reference(breach.reference, letter.number) if letter is not None else ""
            result.lines.append((bounce.position, reference, bounce.status, bounce.diagnostic, outcome))

    for bounce in bounces:
        email = _match(breach, bounce)
        if email is None:
            result.unmatched.append(bounce.position)
            line(bounce, None, "unmatched")
            continue
        if email.id in seen or email.status in EmailStatus.failed():
            result.already += 1
            line(bounce, email, "already")
            continue
        seen.add(email.id)
        result.bounced += 1
        line(bounce, email, "bounced")
        if not dry_run:
            email.status = EmailStatus.BOUNCED
            email.smtp_code = bounce.status or "5.0.0"
            email.smtp_text = bounce.diagnostic or None
            email.failed_at = now
    if not dry_run:
        db.session.flush()
        audit.record("letters.email_bounces", user=user, obj=breach, breach_id=breach.id,
                     details={"source": source, "read": result.read, "bounced": result.bounced,
                              "already": result.already, "ignored": result.ignored,
                              "unmatched": len(result.unmatched)})
    return result


def last_sent(breach_id: int) -> datetime | None:
    return db.session.scalar(select(func.max(LetterEmail.sent_at)).where(LetterEmail.breach_id == breach_id))
