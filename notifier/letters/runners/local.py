"""The embedded runner: a local process pool (LETTER_WORKERS processes, default 2; processes scale, threads do not,
docs/domain.md, "Rendering with WeasyPrint"). Each worker creates the app once and runs chunks; they die with the
process that started them, so a killed command leaves chunks `running` with a dead owner, which the next run takes
over.

`python -m notifier.letters.runners.local JOB_ID` runs a job detached from the web process that started it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from flask import Flask

from notifier.extensions import db
from notifier.letters.runners.config import ProgressCallback, worker_config
from notifier.letters.states import ChunkStatus, JobStatus

_app: Flask | None = None


def run_local(app: Flask, job_id: int, *, workers: int | None = None, on_progress: ProgressCallback | None = None,
              timeout: float | None = None, poll_seconds: float = 0.5) -> str:
    from notifier.letters import jobs as letter_jobs
    from notifier.letters.models import LetterJob

    workers = max(1, int(workers or app.config.get("LETTER_WORKERS") or 1))
    config = worker_config(app)
    started = time.monotonic()

    def report():
        if on_progress is not None:
            db.session.commit()
            on_progress(letter_jobs.progress(db.session.get(LetterJob, job_id)))

    fruitless, last_pending = 0, None
    while True:
        letter_jobs.reset_abandoned_chunks(job_id)
        pending = letter_jobs.chunk_numbers(job_id, ChunkStatus.PENDING)
        if pending:
            # A round that moves nothing (every chunk raised before it could be claimed: the database refuses...)
            # is tried three times, then the run gives up; the job stays resumable.
            fruitless = fruitless + 1 if pending == last_pending else 0
            last_pending = pending
            if fruitless >= 3:
                return "stalled"
            # Forked workers must not share the parent's database connections: end the transaction (the session's
            # objects stay usable, reloaded on access) and close the pooled connections before forking.
            db.session.commit()
            db.engine.dispose()
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(min(workers, len(pending)), mp_context=context, initializer=_init_worker,
                                     initargs=(config, os.getpid())) as pool:
                futures = [pool.submit(_run_chunk, job_id, chunk_no) for chunk_no in pending]
                for future in as_completed(futures):
                    try:
                        future.result()
                    except Exception:  # a worker died (killed, out of memory): its chunk is taken over below
                        pass
                    report()
            continue
        running = letter_jobs.chunk_numbers(job_id, ChunkStatus.RUNNING)
        if not running:
            break
        # Chunks run by another live process (an earlier run's orphan, a Celery worker): wait for them.
        if timeout is not None and time.monotonic() - started > timeout:
            return "timeout"
        report()
        time.sleep(poll_seconds)
        db.session.commit()
    status = letter_jobs.finalize_and_wait(job_id)
    report()
    return status


def _die_with_parent(parent_pid: int) -> None:
    """Linux: get SIGKILL when the parent dies (prctl PR_SET_PDEATHSIG), so a killed command leaves no worker."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:
        os._exit(1)


def _init_worker(config: dict[str, Any], parent_pid: int) -> None:
    global _app
    _die_with_parent(parent_pid)
    from notifier import create_app

    _app = create_app(config)


def _run_chunk(job_id: int, chunk_no: int) -> str:
    from notifier.letters.jobs import run_chunk

    with _app.app_context():
        try:
            return run_chunk(job_id, chunk_no)
        finally:
            db.session.remove()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: python -m notifier.letters.runners.local JOB_ID", file=sys.stderr)
        return 2
    from notifier import create_app

    app = create_app()
    with app.app_context():
        status = run_local(app, int(argv[0]))
    print(f"letter job {argv[0]}: {status}")
    return 0 if status == JobStatus.DONE else 1


if __name__ == "__main__":
    sys.exit(main())
