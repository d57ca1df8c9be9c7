"""The letters generation job: one letter per addressable patient of a breach, in lots sorted by postcode.

State lives in the database, so a crash, a kill -9 or a lost Celery worker never costs more than re-running the
chunks that were not committed:

- ``start_job`` draws the letters' numbers (once per patient, so references are stable across re-runs), freezes the
  template version of each variant, and cuts the patients of each variant, in (postcode, row id) order, into chunks
  of ``lot_size``: a chunk is a lot file, ``lot-0001.pdf``... It resumes the unfinished job of the same output folder.
- ``run_chunk(job_id, chunk_no)`` is the only unit of work, idempotent: it claims the chunk, renders the lot with the
  engine to a temporary file, renames it into place, then records the manifest rows (``LetterOutput``), the letters'
  status and the chunk's completion in ONE transaction. A done chunk is skipped; a chunk left ``running`` by a dead
  process is run again (same bytes, same rows: the earlier attempt committed nothing).
- ``finalize`` writes ``manifest.csv`` from the database once every chunk is done (complete, whatever the restarts).

Runners only schedule ``run_chunk``: a local process pool (default) or Celery workers (notifier/letters/runners/).
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pikepdf
from flask import current_app
from sqlalchemy import and_, delete, exists, func, insert, literal, select, tuple_, update
from sqlalchemy.orm import aliased

from notifier.accounts.models import User
from notifier.audit import checkpoints
from notifier.audit import services as audit
from notifier.breaches.closing import ensure_open
from notifier.breaches.models import Breach
from notifier.core import events
from notifier.core.i18n import N_
from notifier.core.logs import log_failure, short_error
from notifier.core.processes import owner_alive, process_identity
from notifier.core.types import utcnow
from notifier.documents.letter import LetterFields, clean_field, render_letter_naive
from notifier.documents.stamping import (
    ManifestRow,
    UnstampableLetter,
    _Lot,
    cover_lines,
    letter_digest,
    write_lot,
    write_manifest,
)
from notifier.extensions import db
from notifier.letters.email_send import email_counts, send_chunk
from notifier.letters.models import Letter, LetterChunk, LetterJob, LetterOutput, LetterTemplate, lot_file_name
from notifier.letters.services import (
    MAX_LETTERS_PER_BREACH,
    LetterError,
    addressable,
    current_templates,
    gets_paper,
    held_count,
    letter_content,
    letter_fields,
    letter_number,
    letter_reference,
    naive_digest,
    needs_naive_rendering,
    prepared_variant,
    template_problems,
    template_spec,
    variant_index_expression,
)
from notifier.letters.states import ChunkStatus, EmailStatus, JobKind, JobStatus, LetterStatus
from notifier.patients.models import Patient

logger = logging.getLogger(__name__)

DEFAULT_LOT_SIZE = 5000  # bulk mail is deposited in lots of 1,000+ (docs/domain.md, "Bulk mail")
MAX_LOT_SIZE = 50_000  # a worker holds its lot's rows: about 1.5 KB per letter
DEFAULT_LEASE_SECONDS = 900  # a chunk of 5,000 letters takes seconds; one running this long has lost its worker
MAX_ATTEMPTS = 3
OUR_FILES = re.compile(r"^(lot-\d{4,}\.pdf|manifest\.csv|lot-\d{4,}\.pdf\.part|\.lot-\d{4,}\.pdf\..*\.tmp(\.part)?|"
                       r"\.manifest\.csv\..*\.tmp)$")


class GenerationRefused(LetterError):
    """The job cannot start as asked (no approved template, incomplete texts, no patient...): exit 2."""


class ChunkError(RuntimeError):
    pass


# --- who runs a chunk ---------------------------------------------------------------------------------------------


def chunk_is_abandoned(chunk: LetterChunk, lease_seconds: int | None = None) -> bool:
    """A `running` chunk whose process is dead (this machine), or whose lease ran out (any machine)."""
    if chunk.status != ChunkStatus.RUNNING:
        return False
    alive = owner_alive(chunk.worker)
    if alive is False:
        return True
    lease = lease_seconds if lease_seconds is not None else _lease_seconds()
    return chunk.started_at is None or utcnow() - chunk.started_at > timedelta(seconds=lease)


def _lease_seconds() -> int:
    try:
        return int(current_app.config.get("LETTER_CHUNK_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))
    except RuntimeError:
        return DEFAULT_LEASE_SECONDS


# --- starting or resuming a job -----------------------------------------------------------------------------------


@dataclass
class JobStart:
    job: LetterJob
    resumed: bool
    done_before: int  # letters already done when a job is resumed


def in_job(breach_id: int, new_since: datetime | None, specs: list[dict[str, Any]] | tuple = ()):
    """The patients a job writes to: addressable ones whose variant sends paper (`services.gets_paper`: not those
    e-mailed instead, unless their e-mail was refused or bounced) and, for a job of new letters only, those whose
    letter had not been generated for real when the job started (a patient imported late, or whose hold was
    released since, or whose e-mail failed)."""
    condition = and_(Patient.breach_id == breach_id, addressable(), gets_paper(specs))
    if new_since is not None:
        sent = aliased(Letter)  # the chunk query joins Letter itself
        condition = and_(condition, ~exists().where(sent.patient_pk == Patient.id, sent.generated_at.is_not(None),
                                                    sent.generated_at < new_since))
    return condition


def _new_since(job: LetterJob) -> datetime | None:
    return job.created_at if job.only_new else None


def start_job(breach: Breach, *, user: User | None, out_dir: str | os.PathLike | None = None, draft: bool = False,
              variant: str | None = None, lot_size: int = DEFAULT_LOT_SIZE,
              storage_dir: str | os.PathLike | None = None, only_new: bool = False,
              duplex: bool | None = None) -> JobStart:
    """Create the generation job of a breach, or resume the unfinished one writing to the same folder with the same
    settings. Without `out_dir` (web), the lots go to a random folder under STORAGE_DIR/letters/. `duplex` (default:
    the LETTER_DUPLEX setting) lays the lots out for recto verso printing (stamping.write_lot)."""
    ensure_open(breach)
    if duplex is None:
        duplex = bool(current_app.config.get("LETTER_DUPLEX", False))
    if not 1 <= lot_size <= MAX_LOT_SIZE:
        raise GenerationRefused(N_("Taille de lot entre 1 et %(max)s."), max=MAX_LOT_SIZE)
    templates = current_templates(breach.id)
    if not templates:
        raise GenerationRefused(N_("Aucun modèle de courrier pour cette violation\u00a0: rédigez-le d'abord."))
    in_scope = [t for t in templates if variant is None or t.variant == variant]
    if not in_scope:
        raise GenerationRefused(N_("Pas de variante «\u00a0%(variant)s\u00a0» (variantes\u00a0: %(variants)s)."),
                                variant=variant, variants=", ".join(t.variant for t in templates))
    incomplete = [f"{t.variant} v{t.version} ({', '.join(template_problems(t))})" for t in in_scope
                  if template_problems(t)]
    if incomplete:
        raise GenerationRefused(N_("Éléments de l'article 34(2) manquants\u00a0: %(missing)s."),
                                missing="; ".join(incomplete))
    unapproved = [f"{t.variant} v{t.version}" for t in in_scope if not t.approved]
    if unapproved and not draft:
        raise GenerationRefused(N_(
            "Modèle non approuvé (quatre yeux)\u00a0: %(versions)s. Faites approuver la version par un juriste, ou "
            "générez des projets filigranés (--draft)."), versions=", ".join(unapproved))
    specs = [template_spec(t) for t in templates]
    scope = [index for index, t in enumerate(templates) if t in in_scope]
    template_ids = [spec["template_id"] for spec in specs]

    if out_dir is not None:
        folder = Path(out_dir).resolve()
        existing = db.session.scalars(select(LetterJob).where(
            LetterJob.breach_id == breach.id, LetterJob.out_dir == str(folder), LetterJob.kind == JobKind.LETTERS,
            LetterJob.status.in_(JobStatus.unfinished())).order_by(LetterJob.id.desc())).all()
    else:
        folder = None
        existing = [job for job in db.session.scalars(select(LetterJob).where(
            LetterJob.breach_id == breach.id, LetterJob.status.in_(JobStatus.unfinished()),
            LetterJob.kind == JobKind.LETTERS)
            .order_by(LetterJob.id.desc()))
            if storage_dir and Path(job.out_dir).parent == Path(storage_dir).resolve() / "letters"]
    for job in existing:
        same = (job.draft == draft and job.variant_filter == variant and job.lot_size == lot_size
                and job.only_new == only_new and job.duplex == duplex
                and [spec["template_id"] for spec in job.variants] == template_ids)
        if same and job is existing[0] and _plan_still_valid(job):
            return _resume(job, user)
        job.status = JobStatus.SUPERSEDED
        job.finished_at = utcnow()

    total_letters = db.session.scalar(select(func.count()).select_from(Patient).where(
        Patient.breach_id == breach.id, addressable())) or 0
    if total_letters > MAX_LETTERS_PER_BREACH:
        raise GenerationRefused(N_("Trop de patients pour une seule violation."))
    assign_numbers(breach)
    token = secrets.token_urlsafe(18)
    if folder is None:
        folder = (Path(storage_dir or current_app.config["STORAGE_DIR"]) / "letters" / token).resolve()
    job = LetterJob(organisation_id=breach.organisation_id, breach_id=breach.id, token=token, out_dir=str(folder),
                    draft=draft, variant_filter=variant, lot_size=lot_size, variants=specs, status=JobStatus.RUNNING,
                    only_new=only_new, duplex=duplex,
                    created_by_id=user.id if user else None, run_started_at=utcnow(), run_started_done=0)
    db.session.add(job)
    db.session.flush()
    index_expression = variant_index_expression(specs)
    uncovered = 0
    if variant is None:
        uncovered = db.session.scalar(select(func.count()).select_from(Patient).where(
            in_job(breach.id, _new_since(job), job.variants), index_expression.is_(None))) or 0
    if uncovered:
        db.session.rollback()
        raise GenerationRefused(N_(
            "%(count)s patient(s) ne relèvent d'aucune variante (segments, destinataires)\u00a0: ajoutez une "
            "variante par défaut, sans segment."), count=uncovered)
    chunks = list(_plan_chunks(job, index_expression, scope))
    if not chunks:
        db.session.rollback()
        raise GenerationRefused(N_("Aucun patient prêt à recevoir ce courrier (patients importés et non retenus)."))
    db.session.execute(insert(LetterChunk), chunks)
    job.total = sum(chunk["expected"] for chunk in chunks)
    job.held = held_count(breach.id)
    folder.mkdir(parents=True, exist_ok=True)
    clean_folder(folder, keep_lots=0)
    audit.record("letters.job_start", user=user, obj=job, breach_id=breach.id,
                 details={"job": job.id, "draft": draft, "variant": variant, "letters": job.total,
                          "lots": len(chunks), "held": job.held, "lot_size": lot_size,
                          "templates": {spec["variant"]: spec["version"] for spec in specs}})
    db.session.commit()
    return JobStart(job=job, resumed=False, done_before=0)


def _plan_still_valid(job: LetterJob) -> bool:
    """The job's patients are still those it planned for (same count): otherwise a new job is planned, rather than
    resuming into lots that would fail their count check."""
    scope = [index for index, spec in enumerate(job.variants)
             if job.variant_filter is None or spec["variant"] == job.variant_filter]
    count = db.session.scalar(select(func.count()).select_from(Patient).where(
        in_job(job.breach_id, _new_since(job), job.variants), variant_index_expression(job.variants).in_(scope)))
    return count == job.total


def _resume(job: LetterJob, user: User | None) -> JobStart:
    db.session.execute(update(LetterChunk).where(LetterChunk.job_id == job.id, LetterChunk.status == ChunkStatus.FAILED)
                       .values(status=ChunkStatus.PENDING, attempts=0, error=None))
    db.session.flush()
    reset_abandoned_chunks(job.id, commit=False)
    done = done_letters(job.id)
    job.status = JobStatus.RUNNING
    job.error = None
    job.finished_at = None
    job.run_started_at = utcnow()
    job.run_started_done = done
    if job.kind == JobKind.LETTERS:
        folder = Path(job.out_dir)
        folder.mkdir(parents=True, exist_ok=True)
        clean_folder(folder, keep_lots=len(job.chunks))
    audit.record("letters.job_resume", user=user, obj=job, breach_id=job.breach_id,
                 details={"job": job.id, "letters_done": done, "letters": job.total})
    db.session.commit()
    return JobStart(job=job, resumed=True, done_before=done)


def clean_folder(folder: Path, *, keep_lots: int) -> None:
    """Remove what an earlier run left: temporary files, the manifest (rewritten at the end) and lot files beyond
    this job's count. Only our own file names are touched."""
    for path in folder.iterdir():
        if not path.is_file() or not OUR_FILES.match(path.name):
            continue
        if path.name.startswith("lot-") and path.name.endswith(".pdf"):
            if int(path.name[4:-4]) <= keep_lots:
                continue
        path.unlink(missing_ok=True)


def remove_job_files(job: LetterJob) -> None:
    """Delete what a job wrote (lots, manifest, temporaries: clean_folder's own names only, even in a folder chosen
    on the command line), then the folder once empty. For the purge of a patient list: the lots hold its data.
    An e-mail job writes no file."""
    if job.kind != JobKind.LETTERS or not job.out_dir:
        return
    folder = Path(job.out_dir)
    if not folder.is_dir():
        return
    clean_folder(folder, keep_lots=0)
    try:
        folder.rmdir()
    except OSError:
        pass  # not empty: the operator's own files stay


def assign_numbers(breach: Breach, condition=None) -> int:
    """Give every addressable patient (or every patient meeting `condition`: those e-mailed) without a letter its
    number, in postcode order, once and for all. The e-mail carries the same reference as the letter would."""
    base = db.session.scalar(select(func.coalesce(func.max(Letter.serial), 0)).where(
        Letter.breach_id == breach.id)) or 0
    serial = literal(base) + func.row_number().over(order_by=(Patient.postcode, Patient.id))
    # The same letter_number as in Python, applied to a SQL expression: one INSERT ... SELECT for the whole breach.
    chosen = (select(literal(breach.id), Patient.id, serial, letter_number(serial))
              .where(Patient.breach_id == breach.id, addressable() if condition is None else condition,
                     ~exists().where(Letter.patient_pk == Patient.id)))
    result = db.session.execute(insert(Letter).from_select(["breach_id", "patient_pk", "serial", "number"], chosen))
    return result.rowcount or 0


def _plan_chunks(job: LetterJob, index_expression, scope: list[int]) -> Iterator[dict[str, Any]]:
    """Cut each variant's patients, in (postcode, row id) order, into lots of job.lot_size: only the bounds and the
    count of each lot are kept, never the N patients."""
    chunk_no = 0
    for variant_index in scope:
        query = (select(Patient.postcode, Patient.id)
                 .where(in_job(job.breach_id, _new_since(job), job.variants), index_expression == variant_index)
                 .order_by(Patient.postcode, Patient.id).execution_options(yield_per=20_000))
        first = last = None
        count = 0
        for postcode, pk in db.session.execute(query):
            if first is None:
                first = (postcode, pk)
            last = (postcode, pk)
            count += 1
            if count == job.lot_size:
                chunk_no += 1
                yield _chunk(job.id, chunk_no, variant_index, first, last, count)
                first, count = None, 0
        if count:
            chunk_no += 1
            yield _chunk(job.id, chunk_no, variant_index, first, last, count)


def _chunk(job_id, chunk_no, variant_index, first, last, count) -> dict[str, Any]:
    return {"job_id": job_id, "chunk_no": chunk_no, "variant_index": variant_index, "first_postcode": first[0],
            "first_pk": first[1], "last_postcode": last[0], "last_pk": last[1], "expected": count,
            "status": ChunkStatus.PENDING, "attempts": 0}


def reset_abandoned_chunks(job_id: int, *, commit: bool = True) -> int:
    """Chunks left running by a dead process go back to pending (failed after MAX_ATTEMPTS deaths)."""
    reset = 0
    for chunk in db.session.scalars(select(LetterChunk).where(LetterChunk.job_id == job_id,
                                                              LetterChunk.status == ChunkStatus.RUNNING)):
        if not chunk_is_abandoned(chunk):
            continue
        values: dict[str, Any] = {"status": ChunkStatus.PENDING, "worker": None}
        if chunk.attempts >= MAX_ATTEMPTS:
            values = {"status": ChunkStatus.FAILED, "error": f"its worker died {chunk.attempts} times"}
        reset += db.session.execute(update(LetterChunk).where(
            LetterChunk.id == chunk.id, LetterChunk.attempts == chunk.attempts,
            LetterChunk.status == ChunkStatus.RUNNING)
            .values(**values)).rowcount
    if commit:
        db.session.commit()
    return reset


def chunk_numbers(job_id: int, status: str) -> list[int]:
    return list(db.session.scalars(select(LetterChunk.chunk_no).where(
        LetterChunk.job_id == job_id, LetterChunk.status == status).order_by(LetterChunk.chunk_no)))


def done_letters(job_id: int) -> int:
    return db.session.scalar(select(func.coalesce(func.sum(LetterChunk.expected), 0)).where(
        LetterChunk.job_id == job_id, LetterChunk.status == ChunkStatus.DONE)) or 0


# --- one chunk ----------------------------------------------------------------------------------------------------


def run_chunk(job_id: int, chunk_no: int, *, redelivered: bool = False) -> str:
    """Render and record one lot. Returns "done", "skipped" (already done, or running in a live process), or
    "failed" (the error is kept on the chunk). Safe to call any number of times, from any process.

    A long job commits per chunk (its lease, then its outputs): other workers and the progress page read the
    chunks' states, and a worker killed mid-way loses one chunk only. start_job, finalize and
    reset_abandoned_chunks commit for the same reason."""
    chunk = db.session.scalar(select(LetterChunk).where(LetterChunk.job_id == job_id,
                                                        LetterChunk.chunk_no == chunk_no))
    if chunk is None:
        raise LookupError(f"no chunk {chunk_no} in letter job {job_id}")
    job = db.session.get(LetterJob, job_id)
    if chunk.status == ChunkStatus.DONE or job.status in (JobStatus.SUPERSEDED, JobStatus.DONE):
        return "skipped"
    if chunk.status == ChunkStatus.RUNNING and not (redelivered or chunk_is_abandoned(chunk)):
        return "skipped"
    attempt = chunk.attempts + 1
    claimed = db.session.execute(update(LetterChunk).where(
        LetterChunk.id == chunk.id, LetterChunk.attempts == chunk.attempts, LetterChunk.status == chunk.status)
        .values(status=ChunkStatus.RUNNING, worker=process_identity(), started_at=utcnow(), attempts=attempt,
                error=None, finished_at=None)).rowcount
    db.session.commit()
    if not claimed:
        return "skipped"
    try:
        if job.kind == JobKind.EMAIL:
            outcome = send_chunk(job_id, chunk.id, attempt)
        else:
            outcome = _render_and_record(job_id, chunk.id, attempt)
    except Exception as error:
        db.session.rollback()
        log_failure(logger, "letter job %s, chunk %s failed", job_id, chunk_no, error=error)
        db.session.execute(update(LetterChunk).where(LetterChunk.id == chunk.id, LetterChunk.attempts == attempt)
                           .values(status=ChunkStatus.FAILED, finished_at=utcnow(), error=short_error(error)))
        db.session.commit()
        finalize(job_id)
        return ChunkStatus.FAILED
    if outcome == ChunkStatus.DONE:
        finalize(job_id)
    return outcome


def _chunk_patients(job: LetterJob, chunk: LetterChunk):
    specs = job.variants
    low = tuple_(literal(chunk.first_postcode), literal(chunk.first_pk))
    high = tuple_(literal(chunk.last_postcode), literal(chunk.last_pk))
    key = tuple_(Patient.postcode, Patient.id)
    return db.session.execute(
        select(Patient.id, Patient.patient_id, Patient.postcode, Patient.address_lines, Patient.salutation,
               Patient.civility, Patient.deceased, Patient.minor, Letter.id.label("letter_id"), Letter.number)
        .join(Letter, Letter.patient_pk == Patient.id)
        .where(in_job(job.breach_id, _new_since(job), job.variants),
               Patient.postcode >= chunk.first_postcode, Patient.postcode <= chunk.last_postcode,
               key >= low, key <= high, variant_index_expression(specs) == chunk.variant_index)
        .order_by(Patient.postcode, Patient.id)).all()


def _render_and_record(job_id: int, chunk_id: int, attempt: int) -> str:
    chunk = db.session.get(LetterChunk, chunk_id)
    job = db.session.get(LetterJob, job_id)
    breach = db.session.get(Breach, job.breach_id)
    spec = job.variants[chunk.variant_index]
    template = db.session.get(LetterTemplate, spec["template_id"])
    rows = _chunk_patients(job, chunk)
    if len(rows) != chunk.expected:
        raise ChunkError(f"lot {chunk.chunk_no}: {len(rows)} patients instead of {chunk.expected}: the patient list "
                         "changed since the job started; start a new job")
    fields = [letter_fields(breach.reference, row.number, row, lang=template.lang, audience=template.audience)
              for row in rows]
    folder = Path(job.out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    written = write_lot_file(folder / chunk.lot_name, template, fields, draft=job.draft, duplex=job.duplex)
    db.session.commit()  # end the read transaction: what follows is one short write transaction
    lot_path = folder / chunk.lot_name
    size = lot_path.stat().st_size
    digest = _file_sha256(lot_path)
    now = utcnow()
    # The chunk row first: it locks the chunk, and a chunk taken over by another process is not recorded twice.
    recorded = db.session.execute(update(LetterChunk).where(
        LetterChunk.id == chunk_id, LetterChunk.attempts == attempt, LetterChunk.status == ChunkStatus.RUNNING)
        .values(status=ChunkStatus.DONE, finished_at=now, size=size, sha256=digest, error=None,
                naive=sum(1 for _, naive in written if naive))).rowcount
    if not recorded:
        db.session.rollback()
        return "skipped"
    db.session.execute(delete(LetterOutput).where(LetterOutput.job_id == job_id,
                                                  LetterOutput.chunk_no == chunk.chunk_no))
    db.session.execute(insert(LetterOutput), [
        {"job_id": job_id, "chunk_no": chunk.chunk_no, "position": position, "letter_id": row.letter_id,
         "template_id": template.id, "first_page": manifest.first_page, "page_count": manifest.page_count,
         "sha256": manifest.sha256, "naive": naive}
        for position, (row, (manifest, naive)) in enumerate(zip(rows, written, strict=True))])
    if not job.draft:
        db.session.execute(update(Letter).where(
            Letter.id.in_(select(LetterOutput.letter_id).where(LetterOutput.job_id == job_id,
                                                              LetterOutput.chunk_no == chunk.chunk_no)),
            Letter.status.is_(None)).values(status=LetterStatus.GENERATED, status_date=date.today(), generated_at=now))
    db.session.commit()
    return ChunkStatus.DONE


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- lot files ----------------------------------------------------------------------------------------------------


def write_lot_file(path: Path, template: LetterTemplate, fields: list[LetterFields], *,
                   draft: bool, duplex: bool = False) -> list[tuple[ManifestRow, bool]]:
    """One lot: cover sheet, then every letter in the given (postcode) order, all with the variant's page count.
    Letters the fast path cannot draw are rendered by WeasyPrint and merged in their place. The file appears
    complete or not at all. Returns each letter's manifest row and whether it was rendered by WeasyPrint."""
    prepared = prepared_variant(template)
    lot_name = path.name
    naive = {index for index, item in enumerate(fields) if needs_naive_rendering(item)}
    while True:
        if not naive:
            try:
                return [(row, False) for row in write_lot(path, prepared, fields, lot_name=lot_name, draft=draft,
                                                          duplex=duplex)]
            except UnstampableLetter:
                naive |= _unstampable(prepared, fields, draft)
                continue
        try:
            return _merged_lot(path, template, prepared, fields, naive, draft, duplex)
        except UnstampableLetter:
            naive |= _unstampable(prepared, fields, draft)


def _unstampable(prepared, fields: list[LetterFields], draft: bool) -> set[int]:
    found = set()
    for index, item in enumerate(fields):
        try:
            letter_digest(prepared, item, draft=draft)
        except UnstampableLetter:
            found.add(index)
    return found


def _merged_lot(path: Path, template: LetterTemplate, prepared, fields: list[LetterFields], naive: set[int],
                draft: bool, duplex: bool) -> list[tuple[ManifestRow, bool]]:
    lot_name = path.name
    temporary = path.with_name(f".{lot_name}.{os.getpid()}.tmp")
    stamped_path = path.with_name(f".{lot_name}.{os.getpid()}.stamped.tmp")
    content = letter_content(template)
    stamped_fields = [item for index, item in enumerate(fields) if index not in naive]
    rendered: dict[int, bytes] = {index: render_letter_naive(content, fields[index], draft=draft) for index in naive}
    opened: list[pikepdf.Pdf] = []
    try:
        stamped_rows = (write_lot(stamped_path, prepared, stamped_fields, lot_name=lot_name, draft=draft,
                                  duplex=duplex) if stamped_fields else [])
        references = [item.reference for item in fields]
        postcodes = sorted(clean_field(item.postcode) for item in fields)
        first_last = [ManifestRow(references[0], "", lot_name, 0, 0, ""),
                      ManifestRow(references[-1], "", lot_name, 0, 0, "")]
        cover = io.BytesIO()
        cover_lot = _Lot(cover, prepared, draft=draft, title=lot_name, cover=True, duplex=duplex)
        cover_lot.close(cover_lines(lot_name, prepared, len(fields), [postcodes[0], postcodes[-1]], first_last, draft,
                                    duplex=duplex))
        out = pikepdf.new()
        opened.append(out)
        cover_pdf = pikepdf.open(io.BytesIO(cover.getvalue()))
        opened.append(cover_pdf)
        for page_index in range(len(cover_pdf.pages)):  # the cover sheet, and its blank verso for recto verso
            _append_page(out, cover_pdf, page_index)
        printed_pages = prepared.printed_pages(duplex)
        stamped = pikepdf.open(stamped_path) if stamped_fields else None
        if stamped is not None:
            opened.append(stamped)
        rows: list[tuple[ManifestRow, bool]] = []
        stamped_iter = iter(stamped_rows)
        for index, item in enumerate(fields):
            first_page = len(out.pages) + 1
            if index in naive:
                source = pikepdf.open(io.BytesIO(rendered[index]))
                opened.append(source)
                if len(source.pages) != prepared.page_count:
                    raise ChunkError(f"letter {item.reference}: {len(source.pages)} pages rendered by WeasyPrint, "
                                     f"the lot's letters have {prepared.page_count}")
                for page_index in range(len(source.pages)):
                    _append_page(out, source, page_index)
                for _ in range(printed_pages - prepared.page_count):
                    out.add_blank_page(page_size=(prepared.page_width, prepared.page_height))
                rows.append((ManifestRow(item.reference, item.patient_id, lot_name, first_page,
                                         printed_pages, naive_digest(rendered[index])), True))
            else:
                row = next(stamped_iter)
                for page_index in range(row.first_page - 1, row.first_page - 1 + row.page_count):
                    _append_page(out, stamped, page_index)
                rows.append((ManifestRow(row.reference, row.patient_id, lot_name, first_page, row.page_count,
                                         row.sha256), False))
        out.docinfo["/Title"] = lot_name
        out.docinfo["/Producer"] = "notifier"
        out.save(temporary, deterministic_id=True)
        os.replace(temporary, path)
        return rows
    finally:
        for document in reversed(opened):
            document.close()
        temporary.unlink(missing_ok=True)
        stamped_path.unlink(missing_ok=True)


def _append_page(out: pikepdf.Pdf, source: pikepdf.Pdf, index: int) -> None:
    """Copy a page with what it inherits from its page tree (resources, media box) made explicit."""
    page = source.pages[index]
    for key in ("/Resources", "/MediaBox", "/CropBox", "/Rotate"):
        if key not in page.obj:
            inherited = _inherited(page.obj, key)
            if inherited is not None:
                page.obj[key] = inherited
    out.pages.append(page)


def _inherited(node, key):
    parent = node.get("/Parent")
    while parent is not None:
        if key in parent:
            return parent[key]
        parent = parent.get("/Parent")
    return None


# --- the end of a job ---------------------------------------------------------------------------------------------


def finalize(job_id: int) -> str:
    """Once no chunk is pending or running: the job fails if a chunk failed, otherwise manifest.csv is written
    (complete, from the database, in lot order) and the job is done. Exactly one process writes it."""
    counts = dict(db.session.execute(select(LetterChunk.status, func.count()).where(
        LetterChunk.job_id == job_id).group_by(LetterChunk.status)).all())
    job = db.session.get(LetterJob, job_id)
    if (job.status in (JobStatus.DONE, JobStatus.SUPERSEDED) or counts.get(ChunkStatus.PENDING)
            or counts.get(ChunkStatus.RUNNING)):
        db.session.commit()
        return job.status
    if counts.get(ChunkStatus.FAILED):
        errors = list(db.session.scalars(select(LetterChunk.error).where(
            LetterChunk.job_id == job_id, LetterChunk.status == ChunkStatus.FAILED)
            .order_by(LetterChunk.chunk_no).limit(3)))
        db.session.execute(update(LetterJob).where(LetterJob.id == job_id, LetterJob.status == JobStatus.RUNNING)
                           .values(status=JobStatus.FAILED, finished_at=utcnow(),
                                   error=f"{counts[ChunkStatus.FAILED]} lot(s) failed: "
                                         + " | ".join(e or "" for e in errors)))
        db.session.commit()
        return JobStatus.FAILED
    claimed = db.session.execute(update(LetterJob).where(LetterJob.id == job_id, LetterJob.status == JobStatus.RUNNING)
                                 .values(status=JobStatus.FINISHING)).rowcount
    db.session.commit()
    if not claimed:
        return db.session.get(LetterJob, job_id).status
    if job.kind == JobKind.EMAIL:  # no manifest: each e-mail's outcome is its LetterEmail row
        counts_by_status = email_counts(job_id)
        db.session.execute(update(LetterJob).where(LetterJob.id == job_id)
                           .values(status=JobStatus.DONE, finished_at=utcnow()))
        audit.record("letters.email_job_done", obj=job, breach_id=job.breach_id, organisation_id=job.organisation_id,
                     details={"job": job_id, "emails": job.total, **counts_by_status})
        db.session.commit()
        checkpoints.write_quietly("e-mail job")
        return JobStatus.DONE
    try:
        count = write_job_manifest(job_id)
        if count != job.total:
            raise ChunkError(f"manifest has {count} rows, the job {job.total} letters")
    except Exception as error:
        db.session.rollback()
        db.session.execute(update(LetterJob).where(LetterJob.id == job_id).values(
            status=JobStatus.FAILED, error=f"manifest: {type(error).__name__}: {error}"[:2000], finished_at=utcnow()))
        db.session.commit()
        raise
    db.session.execute(update(LetterJob).where(LetterJob.id == job_id)
                       .values(status=JobStatus.DONE, finished_at=utcnow()))
    audit.record("letters.job_done", obj=job, breach_id=job.breach_id, organisation_id=job.organisation_id,
                 details={"job": job_id, "letters": count, "lots": sum(counts.values()), "draft": job.draft})
    events.letter_job_finished.send(job)
    db.session.commit()
    # A letters job issues documents: a signed checkpoint of the audit trail at its end (docs/security.md).
    checkpoints.write_quietly("letters job")
    return JobStatus.DONE


FINISHING_WAIT_SECONDS = 1800.0  # the manifest of 750,000 letters is written in well under a minute


def finalize_and_wait(job_id: int, *, timeout: float = FINISHING_WAIT_SECONDS, poll_seconds: float = 0.2) -> str:
    """`finalize` for the one who waits for the job (the command, the page's runner): when another process won the
    race for the manifest ("finishing", issue 12 point 14: the command reported an error while a Celery worker was
    still writing it), poll the job row until that process ends the job, for at most `timeout` seconds. Returns
    the final status ("done", "failed"...), or "finishing" when the writer neither finished nor failed in time
    (killed: `notifier letters generate` resumes the job)."""
    status = finalize(job_id)
    deadline = time.monotonic() + timeout
    while status == "finishing" and time.monotonic() < deadline:
        time.sleep(poll_seconds)
        db.session.commit()  # a fresh snapshot: the other process's commit becomes visible
        status = db.session.scalar(select(LetterJob.status).where(LetterJob.id == job_id))
    return status


def manifest_rows(job_id: int) -> Iterator[ManifestRow]:
    job = db.session.get(LetterJob, job_id)
    breach_reference = db.session.get(Breach, job.breach_id).reference
    query = (select(Letter.number, Patient.patient_id, LetterOutput.chunk_no, LetterOutput.first_page,
                    LetterOutput.page_count, LetterOutput.sha256)
             .join(Letter, Letter.id == LetterOutput.letter_id)
             .outerjoin(Patient, Patient.id == Letter.patient_pk)
             .where(LetterOutput.job_id == job_id)
             .order_by(LetterOutput.chunk_no, LetterOutput.position).execution_options(yield_per=20_000))
    for number, patient_id, chunk_no, first_page, page_count, sha256 in db.session.execute(query):
        yield ManifestRow(letter_reference(breach_reference, number), patient_id or "", lot_file_name(chunk_no),
                          first_page, page_count, sha256)


def write_job_manifest(job_id: int) -> int:
    job = db.session.get(LetterJob, job_id)
    folder = Path(job.out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".manifest.csv.{os.getpid()}.tmp"
    try:
        count = write_manifest(temporary, manifest_rows(job_id))
        os.replace(temporary, folder / "manifest.csv")
    finally:
        temporary.unlink(missing_ok=True)
    return count


# --- progress -----------------------------------------------------------------------------------------------------


def progress(job: LetterJob) -> dict[str, Any]:
    """What the progress bar and `notifier letters status` show: counts, rate and time left over the current run."""
    rows = db.session.execute(select(LetterChunk.status, func.count(), func.coalesce(func.sum(LetterChunk.expected), 0))
                              .where(LetterChunk.job_id == job.id).group_by(LetterChunk.status)).all()
    chunks = {status: count for status, count, _ in rows}
    letters = {status: int(total) for status, _, total in rows}
    done = letters.get(ChunkStatus.DONE, 0)
    elapsed = max((utcnow() - job.run_started_at).total_seconds(), 0.0) if job.run_started_at else 0.0
    if job.finished_at and job.run_started_at:
        elapsed = max((job.finished_at - job.run_started_at).total_seconds(), 0.0)
    in_run = done - job.run_started_done
    rate = in_run / elapsed if elapsed > 0 and in_run > 0 else None
    remaining = job.total - done
    errors = list(db.session.scalars(select(LetterChunk.error).where(
        LetterChunk.job_id == job.id, LetterChunk.status == ChunkStatus.FAILED)
        .order_by(LetterChunk.chunk_no).limit(3)))
    emails: dict[str, int] = {}
    if job.kind == JobKind.EMAIL:
        # Each message counts as soon as the relay answered, not only when its whole chunk is done.
        emails = email_counts(job.id)
        done = sum(count for status, count in emails.items() if status != EmailStatus.QUEUED)
        in_run = done - job.run_started_done
        rate = in_run / elapsed if elapsed > 0 and in_run > 0 else None
        remaining = job.total - done
    return {
        "kind": job.kind, "emails": emails,
        "job": job.id, "status": job.status, "draft": job.draft, "variant": job.variant_filter,
        "total": job.total, "done": done, "held": job.held,
        "percent": round(100 * done / job.total, 1) if job.total else 100.0,
        "lots": sum(chunks.values()), "lots_done": chunks.get(ChunkStatus.DONE, 0),
        "lots_running": chunks.get(ChunkStatus.RUNNING, 0), "lots_failed": chunks.get(ChunkStatus.FAILED, 0),
        "rate": round(rate, 1) if rate else None,
        "seconds_left": round(remaining / rate) if rate and remaining and job.status == JobStatus.RUNNING else None,
        "elapsed": round(elapsed, 1), "error": job.error or (errors[0] if errors else None),
        "finished": job.status in JobStatus.finished(),
    }


def latest_job(breach_id: int, kind: str = JobKind.LETTERS) -> LetterJob | None:
    return db.session.scalar(select(LetterJob).where(LetterJob.breach_id == breach_id, LetterJob.kind == kind)
                             .order_by(LetterJob.id.desc()).limit(1))


def job_by_token(token: str, organisation_id: int) -> LetterJob | None:
    job = db.session.scalar(select(LetterJob).where(LetterJob.token == token))
    return job if job is not None and job.organisation_id == organisation_id else None


def lot_download(job: LetterJob, number: int, *, user: User | None) -> Path | None:
    """A lot file to hand to the user, recorded in the audit trail (flushed), or None when it is not there."""
    path = lot_path(job, number)
    if path is not None:
        audit.record("letters.lot_download", user=user, obj=job, breach_id=job.breach_id,
                     details={"job": job.id, "lot": number})
    return path


def manifest_download(job: LetterJob, *, user: User | None) -> Path | None:
    """The manifest of a done job, recorded in the audit trail (flushed), or None when there is none."""
    path = Path(job.out_dir) / "manifest.csv"
    if job.status != "done" or not path.is_file():
        return None
    audit.record("letters.manifest_download", user=user, obj=job, breach_id=job.breach_id, details={"job": job.id})
    return path


def lot_path(job: LetterJob, number: int) -> Path | None:
    """A lot file of a done chunk of this job, or None; the path comes from the database, never from a URL."""
    chunk = db.session.scalar(select(LetterChunk).where(LetterChunk.job_id == job.id, LetterChunk.chunk_no == number))
    if chunk is None or chunk.status != ChunkStatus.DONE:
        return None
    path = Path(job.out_dir) / chunk.lot_name
    return path if path.is_file() else None
