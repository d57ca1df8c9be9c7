"""End-to-end e-mail benchmark: N patients with an address in a scratch database, the real e-mail job (planning,
chunks, worker processes, one SMTP transaction per patient with its mark-before-send commit) against a local
aiosmtpd sink on 127.0.0.1 that accepts every message. Issue 14's aim: at least 300 e-mails/s on 2 cores, the
relay's own limit aside (a real relay is slower: set EMAIL_RATE to what its administrator allows).

aiosmtpd is a test dependency (`pip install -e '.[test]'`); the benchmark says so if it is missing.
"""

from __future__ import annotations

import contextlib
import resource
import shutil
import socket
import tempfile
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from notifier.bench.letters import _mib, _patient_rows, scratch_schema, seed_breach
from notifier.documents.letter import EXAMPLE_TEXTS
from notifier.letters.states import JobStatus


class _Sink:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
            number = self.count
        return f"250 2.0.0 Ok: queued as B{number:08d}"


@contextlib.contextmanager
def smtp_sink():
    try:
        from aiosmtpd.controller import Controller
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError("the e-mail benchmark needs aiosmtpd: pip install -e '.[test]'") from error
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def run(patients: int, *, workers: int = 2, chunk_size: int = 1000, rate: float | None = None,
        database_url: str | None = None) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="notifier-bench-email-"))
    url = database_url or f"sqlite:///{scratch / 'bench.db'}"
    try:
        with scratch_schema(url) as options, smtp_sink() as (sink, port):
            return _run(patients, workers=workers, chunk_size=chunk_size, rate=rate, url=url, options=options,
                        scratch=scratch, sink=sink, port=port)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(patients: int, *, workers: int, chunk_size: int, rate: float | None, url: str, options: dict[str, Any],
         scratch: Path, sink: _Sink, port: int) -> dict[str, Any]:
    from notifier import create_app
    from notifier.extensions import db
    from notifier.letters import emails
    from notifier.letters import services as letters
    from notifier.letters.runners import run_job
    from notifier.patients.models import Patient

    app = create_app({"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                      "STORAGE_DIR": str(scratch / "storage"), "SECRET_KEY": uuid.uuid4().hex,
                      "LETTER_WORKERS": workers, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": port,
                      "MAIL_FROM": "dpo-notification@chu-demo.example", "EMAIL_RATE": rate})
    result: dict[str, Any] = {"patients": patients, "workers": workers, "chunk_size": chunk_size,
                              "rate_limit": rate, "database": "postgresql" if options else "sqlite"}
    try:
        with app.app_context():
            db.create_all()
            dpo, legal, breach, upload = seed_breach(patients)
            for start in range(0, patients, 10_000):
                rows = _patient_rows(breach.id, upload.id, start, min(start + 10_000, patients), patients)
                for row in rows:
                    row["email"] = f"{row['patient_id'].lower()}@patients.example"
                db.session.execute(Patient.__table__.insert(), rows)
                db.session.commit()
            texts = {**EXAMPLE_TEXTS["fr"], "introduction": "", "closing": "", "signatory": ""}
            template = letters.save_template(breach, dpo, "standard", letters.TemplateDraft(
                texts=texts, letter_date=date(2026, 3, 16), channel="email_else_paper"))
            letters.approve_template(template, legal)
            db.session.commit()

            started = time.perf_counter()
            job = emails.start_email_job(breach, user=None, config=app.config, chunk_size=chunk_size).job
            job_id, chunks = job.id, len(job.chunks)
            planned = time.perf_counter()
            status = run_job(app, job_id, workers=workers)
            finished = time.perf_counter()
            if status != JobStatus.DONE:
                raise RuntimeError(f"the benchmark job ended {status}")
            counts = emails.breach_email_counts(breach.id)
        send_seconds = finished - planned
        result.update({
            "chunks": chunks,
            "plan_seconds": round(planned - started, 2),
            "send_seconds": round(send_seconds, 2),
            "emails_per_second": round(patients / send_seconds, 1),
            "emails_per_second_with_plan": round(patients / (finished - started), 1),
            "received_by_sink": sink.count,
            "sent": counts["sent"],
            "minutes_for_750000": round(750_000 / (patients / send_seconds) / 60, 1),
            "peak_rss_parent_mib": _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
            "peak_rss_worker_mib": _mib(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss),
        })
        if sink.count != patients or counts["sent"] != patients:
            raise RuntimeError(f"{sink.count} messages received and {counts['sent']} recorded for {patients}")
        return result
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
