"""Letter jobs on Celery workers over Redis, when NOTIFIER_CELERY_BROKER_URL is set.

Start workers with the same configuration as the app (NOTIFIER_DATABASE_URL above all):

    NOTIFIER_CELERY_BROKER_URL=redis://127.0.0.1:6379/0 celery -A notifier.letters.runners.celery_app worker -c 2

One task per chunk runs `services.letter_jobs.run_chunk` in an app created once per worker process. Tasks are
acknowledged after they ran and given back to the queue when their worker is lost, so a chunk is never dropped;
run_chunk being idempotent, a chunk delivered twice is done once. The last chunk writes the manifest.
"""

from __future__ import annotations

import os
import time

from celery import Celery
from flask import Flask

from notifier.extensions import db
from notifier.letters.runners.config import ProgressCallback
from notifier.letters.states import ChunkStatus

TASK_NAME = "notifier.letters.run_chunk"
DEFAULT_QUEUE = "notifier-letters"

celery = Celery("notifier")
celery.conf.update(
    broker_url=os.environ.get("NOTIFIER_CELERY_BROKER_URL") or "redis://127.0.0.1:6379/0",
    task_default_queue=os.environ.get("NOTIFIER_CELERY_QUEUE") or DEFAULT_QUEUE,
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    broker_connection_retry_on_startup=True,
    worker_hijack_root_logger=False,
)

_flask_app: Flask | None = None
_flask_pid: int | None = None


def flask_app() -> Flask:
    """The app of this worker process, created once (after the fork of a prefork child, never before)."""
    global _flask_app, _flask_pid
    if _flask_app is None or _flask_pid != os.getpid():
        from notifier import create_app

        _flask_app, _flask_pid = create_app(), os.getpid()
    return _flask_app


@celery.task(name=TASK_NAME, bind=True)
def run_chunk_task(self, job_id: int, chunk_no: int) -> str:
    from notifier.letters.jobs import run_chunk

    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    with flask_app().app_context():
        try:
            return run_chunk(job_id, chunk_no, redelivered=redelivered)
        finally:
            db.session.remove()


def _queue(app: Flask) -> str:
    return app.config.get("CELERY_QUEUE") or os.environ.get("NOTIFIER_CELERY_QUEUE") or DEFAULT_QUEUE


def send_chunks(app: Flask, job_id: int, chunk_numbers: list[int]) -> int:
    """Queue one task per chunk on the app's broker (a sender of its own: the app's URL may differ from the
    worker module's environment, e.g. in tests)."""
    if not chunk_numbers:
        return 0
    sender = Celery("notifier-sender", broker=app.config["CELERY_BROKER_URL"])
    sender.conf.broker_connection_retry_on_startup = True
    try:
        queue = _queue(app)
        for chunk_no in chunk_numbers:
            sender.send_task(TASK_NAME, args=(job_id, chunk_no), queue=queue)
    finally:
        sender.close()
    return len(chunk_numbers)


def send_pending_chunks(app: Flask, job_id: int) -> int:
    from notifier.letters import jobs as letter_jobs

    letter_jobs.reset_abandoned_chunks(job_id)
    return send_chunks(app, job_id, letter_jobs.chunk_numbers(job_id, ChunkStatus.PENDING))


def run_with_celery(app: Flask, job_id: int, *, on_progress: ProgressCallback | None = None,
                    timeout: float | None = None, poll_seconds: float = 0.5, resend_after: float = 60.0) -> str:
    """Queue the pending chunks and follow the job in the database until it ends (the command line's runner).
    Chunks whose worker died go back to the queue; pending chunks are queued again when nothing moved for
    `resend_after` seconds (a task lost before it started; a duplicate is skipped by run_chunk)."""
    from notifier.letters import jobs as letter_jobs
    from notifier.letters.models import LetterJob

    send_pending_chunks(app, job_id)
    started = last_change = time.monotonic()
    last_state = None
    while True:
        db.session.commit()  # a fresh snapshot
        job = db.session.get(LetterJob, job_id)
        db.session.refresh(job)
        state = letter_jobs.progress(job)
        if on_progress is not None:
            on_progress(state)
        pending = letter_jobs.chunk_numbers(job_id, ChunkStatus.PENDING)
        running = letter_jobs.chunk_numbers(job_id, ChunkStatus.RUNNING)
        if not pending and not running:
            break
        now = time.monotonic()
        if (pending, running) != last_state:
            last_state, last_change = (pending, running), now
        if letter_jobs.reset_abandoned_chunks(job_id) or (pending and now - last_change > resend_after):
            send_pending_chunks(app, job_id)
            last_change = now
        if timeout is not None and time.monotonic() - started > timeout:
            return "timeout"
        time.sleep(poll_seconds)
    status = letter_jobs.finalize_and_wait(job_id)
    if on_progress is not None:
        on_progress(letter_jobs.progress(db.session.get(LetterJob, job_id)))
    return status
