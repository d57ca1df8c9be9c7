"""Large tracking files in the background (issue 12, point 5): a file over TRACKING_INLINE_BYTES is staged under
STORAGE_DIR/tracking (copied in 1 MiB chunks, refused past TRACKING_MAX_BYTES while copying), its header checked in
the request, then applied by a thread of the web process with its own application context, as a patient import
is (notifier.patients.services.start_in_background): the request returns at once and the page shows the outcome.

The file is applied all or nothing by `services.apply_tracking`, streamed; the staged copy is deleted when the
thread ends, and by `sweep` (at the next upload) when the process that ran it died."""

from __future__ import annotations

import os
import secrets
import threading
from datetime import date
from pathlib import Path
from typing import IO

from flask import Flask, current_app
from sqlalchemy import select

from notifier.accounts.models import User
from notifier.breaches.models import Breach
from notifier.core.background import BackgroundWork
from notifier.core.i18n import N_, translate
from notifier.core.logs import short_error
from notifier.core.processes import owner_alive, process_identity
from notifier.core.types import utcnow
from notifier.extensions import db
from notifier.letters import services as letters
from notifier.letters.models import TrackingUpload

TRACKING_DIR = "tracking"
INTERRUPTED = N_("Traitement interrompu (arrêt du serveur\u00a0?)\u00a0: rien n'a été appliqué\u00a0; renvoyez le "
                 "fichier.")
INLINE_BYTES = 1024 * 1024  # about 25,000 lines, under a second: applied in the request (TRACKING_INLINE_BYTES)
PROBLEMS_STORED = 500  # the page lists 500; all are counted
_CHUNK = 1 << 20

_uploads = BackgroundWork("tracking upload")


def _folder() -> Path:
    return Path(current_app.config["STORAGE_DIR"]) / TRACKING_DIR


def stage(stream: IO[bytes], *, max_bytes: int) -> str:
    """Copy an upload under STORAGE_DIR/tracking (mode 0600, random name); TrackingFileError past `max_bytes`,
    found while copying (nothing is kept then)."""
    folder = _folder()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.csv"
    path = folder / name
    copied = 0
    try:
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            while chunk := stream.read(_CHUNK):
                copied += len(chunk)
                if copied > max_bytes:
                    raise letters.tracking_too_large(copied, max_bytes, more=True)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return name


def begin(breach: Breach, staged: str, filename: str, *, user: User | None, default_status: str,
          default_date: date, max_bytes: int) -> TrackingUpload:
    """Check the staged file's header (TrackingFileError, the staged file then deleted) and record the upload,
    committed in status "running"."""
    letters.ensure_tracking_status(default_status)
    path = _folder() / staged
    try:
        with path.open("rb") as handle:
            letters.read_tracking_csv(handle, max_bytes=max_bytes).close()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    upload = TrackingUpload(breach_id=breach.id, filename=filename[-255:], uploaded_by_id=user.id if user else None,
                            status="running", default_status=default_status, default_date=default_date,
                            staged_file=staged, worker=process_identity())
    db.session.add(upload)
    db.session.commit()
    return upload


def process(upload_id: int, *, max_bytes: int, lang: str = "fr") -> TrackingUpload:
    """Apply a staged tracking file (all or nothing) and record the outcome, its messages in `lang` (the uploader's
    language); the staged file is deleted."""
    upload = db.session.get(TrackingUpload, upload_id)
    breach = db.session.get(Breach, upload.breach_id)
    user = db.session.get(User, upload.uploaded_by_id) if upload.uploaded_by_id else None
    path = _folder() / upload.staged_file
    source = f"web:{upload.filename[:80]}"
    try:
        with path.open("rb") as handle:
            result = letters.apply_tracking(
                breach, letters.read_tracking_csv(handle, max_bytes=max_bytes), user=user,
                default_status=upload.default_status, default_date=upload.default_date, source=source)
    except Exception as error:  # noqa: BLE001 - a damaged file, the database: the upload ends failed with why
        db.session.rollback()
        upload = db.session.get(TrackingUpload, upload_id)
        upload.status = "failed"
        upload.error = (error.message(lang) if isinstance(error, letters.LetterError) else short_error(error))[:500]
    else:
        if result.problem_count:
            db.session.rollback()
            upload = db.session.get(TrackingUpload, upload_id)
            upload.status = "refused"
        else:
            upload.status = "done"
        upload.rows, upload.updated, upload.by_status = result.rows, result.updated, result.by_status
        upload.problem_count = result.problem_count
        upload.problems = [[p.line, p.reference[:60], p.code, p.value[:60]] for p in result.problems[:PROBLEMS_STORED]]
    upload.finished_at = utcnow()
    upload.staged_file = None
    db.session.commit()
    path.unlink(missing_ok=True)
    return upload


def start_in_background(app: Flask, upload_id: int, *, lang: str = "fr") -> threading.Thread:
    """Run it in a thread of this process (core.background): the request returns at once and the page follows
    the work's row."""
    max_bytes = int(app.config["TRACKING_MAX_BYTES"])
    return _uploads.start(app, upload_id, lambda: process(upload_id, max_bytes=max_bytes, lang=lang))


def wait_for(upload_id: int, timeout: float | None = None) -> None:
    """Wait for the background work of this process to end (tests, shutdown)."""
    _uploads.wait_for(upload_id, timeout)


def sweep() -> int:
    """Uploads left running by a dead process end failed and lose their staged file (a kill -9 of the server)."""
    stale = [upload for upload in db.session.scalars(select(TrackingUpload).where(TrackingUpload.status == "running"))
             if owner_alive(upload.worker) is False]
    for upload in stale:
        upload.status, upload.finished_at = "failed", utcnow()
        upload.error = translate(INTERRUPTED, "fr")  # the uploader's language is not known here
        if upload.staged_file:
            (_folder() / upload.staged_file).unlink(missing_ok=True)
            upload.staged_file = None
    if stale:
        db.session.commit()
    return len(stale)


def get_upload(upload_id: int, breach: Breach) -> TrackingUpload | None:
    upload = db.session.get(TrackingUpload, upload_id)
    return upload if upload is not None and upload.breach_id == breach.id else None


def problem_messages(upload: TrackingUpload, lang: str) -> list[str]:
    return [letters.TrackingProblem(line, reference, code, value).message(lang)
            for line, reference, code, value in upload.problems or []]
