"""Runners of the letters job. They only schedule `services.letter_jobs.run_chunk(job_id, chunk_no)`; the state of
the work is in the database, so any runner can pick up what another left.

- local (default): a process pool of `LETTER_WORKERS` processes, each creating the app once
  (notifier/letters/runners/local.py);
- Celery: when `CELERY_BROKER_URL` is set (NOTIFIER_CELERY_BROKER_URL), one task per chunk on the Celery workers
  (notifier/letters/runners/celery_app.py).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from flask import Flask

from notifier.letters.runners.config import ProgressCallback, child_environment

__all__ = ["ProgressCallback", "child_environment", "launch_in_background", "run_job"]


def run_job(app: Flask, job_id: int, *, workers: int | None = None, on_progress: ProgressCallback | None = None,
            timeout: float | None = None) -> str:
    """Run the job's pending chunks to the end and write its manifest; returns the job's status ("done", "failed",
    or "timeout" when `timeout` seconds passed first). Called within an app context."""
    if app.config.get("CELERY_BROKER_URL"):
        from notifier.letters.runners.celery_app import run_with_celery

        return run_with_celery(app, job_id, on_progress=on_progress, timeout=timeout)
    from notifier.letters.runners.local import run_local

    return run_local(app, job_id, workers=workers, on_progress=on_progress, timeout=timeout)


def launch_in_background(app: Flask, job_id: int) -> None:
    """Start the job without waiting (web): Celery tasks, or a detached
    `python -m notifier.letters.runners.local JOB_ID`."""
    if app.config.get("CELERY_BROKER_URL"):
        from notifier.letters.runners.celery_app import send_pending_chunks

        send_pending_chunks(app, job_id)
        return
    log_dir = Path(app.config["STORAGE_DIR"]) / "letters"
    log_dir.mkdir(parents=True, exist_ok=True)
    with open(log_dir / f"job-{job_id}.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "notifier.letters.runners.local", str(job_id)], env=child_environment(app),
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    # Reap it when it ends (no zombie left behind by a long-running web process).
    threading.Thread(target=process.wait, daemon=True, name=f"letter-job-{job_id}").start()
