"""End-to-end e-mail benchmark: N patients with an address in a scratch database, the real e-mail job (planning,
chunks, worker processes, one SMTP transaction per patient with its mark-before-send commit) against a local
aiosmtpd sink on 127.0.0.1 that accepts every message. Issue 14's aim: at least 300 e-mails/s on 2 cores, the
relay's own limit aside (a real relay is slower: set EMAIL_RATE to what its administrator allows).

aiosmtpd is a test dependency (`pip install -e '.[test]'`); the benchmark says so if it is missing.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import multiprocessing
import os
import resource
import shutil
import socket
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

from notifier.bench.letters import _mib, _patient_rows, scratch_schema, seed_breach
from notifier.documents.letter import EXAMPLE_TEXTS
from notifier.letters.states import JobStatus


def _serve_sink(port: int, count, cpu_seconds, ready, stop) -> None:
    """The sink's process: an aiosmtpd server that accepts every message with a Postfix-like queue id, counts them,
    and reports its own CPU time when stopped (a relay is its own program: it must not share the benchmark's GIL)."""
    from aiosmtpd.controller import Controller

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with count.get_lock():
                count.value += 1
                number = count.value
            return f"250 2.0.0 Ok: queued as B{number:08d}"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()
    cpu_seconds.value = time.process_time()


class _Sink:
    def __init__(self, count, cpu_seconds) -> None:
        self._count, self._cpu = count, cpu_seconds

    @property
    def count(self) -> int:
        return self._count.value

    @property
    def cpu_seconds(self) -> float:
        return self._cpu.value


@contextlib.contextmanager
def smtp_sink():
    """An SMTP sink on 127.0.0.1 in its own process; yields (sink, port). sink.count: messages received so far;
    sink.cpu_seconds: the sink process's CPU time, known once the context is left."""
    try:
        import aiosmtpd  # noqa: F401
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError("the e-mail benchmark needs aiosmtpd: pip install -e '.[test]'") from error
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = multiprocessing.get_context("spawn")
    count, cpu_seconds = context.Value("q", 0), context.Value("d", 0.0)
    ready, stop = context.Event(), context.Event()
    process = context.Process(target=_serve_sink, args=(port, count, cpu_seconds, ready, stop), daemon=True)
    process.start()
    sink = _Sink(count, cpu_seconds)
    try:
        if not ready.wait(60):
            raise RuntimeError("the SMTP sink did not start")
        yield sink, port
    finally:
        stop.set()
        process.join(30)
        if process.is_alive():  # pragma: no cover - a stuck sink
            process.kill()


def _bare_loop(port: int, messages: int) -> tuple[float, float, float]:
    """One baseline sender: `messages` copies of one prebuilt message over one MailSession, no database, no
    rendering. Returns its (start, end) wall-clock times and CPU seconds."""
    from notifier.core.mail import MailSession, build_bulk_message

    config = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "MAIL_FROM": "dpo-notification@chu-demo.example"}
    raw = build_bulk_message(config, "baseline@patients.example", "Information (réf. BASELINE)", "Madame,\n" * 200,
                             "<p>Madame,</p>" * 200, message_id="<baseline@chu-demo.example>")
    with MailSession(config) as session:
        session.send(raw, "baseline@patients.example")  # connected and warm before the clock starts
        started, cpu = time.time(), time.process_time()
        for _ in range(messages - 1):
            if not session.send(raw, "baseline@patients.example").accepted:
                raise RuntimeError("the sink refused a baseline message")
        return started, time.time(), time.process_time() - cpu


def bare_smtp_baseline(port: int, *, messages: int, workers: int) -> dict[str, float]:
    """The same sink fed by `workers` bare SMTP loops at once (one process and one connection each): the ceiling
    the real job is compared with, measured in the same run."""
    context = multiprocessing.get_context("spawn")
    share = max(2, messages // workers)
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        results = list(pool.map(_bare_loop, [port] * workers, [share] * workers))
    seconds = max(end for _, end, _ in results) - min(start for start, _, _ in results)
    sent = (share - 1) * workers
    return {"bare_smtp_messages": sent, "bare_smtp_per_second": round(sent / seconds, 1),
            "bare_smtp_sender_cpu_ms_per_message": round(sum(cpu for _, _, cpu in results) / sent * 1000, 3)}


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(patients: int, *, workers: int = 2, chunk_size: int = 1000, rate: float | None = None,
        database_url: str | None = None, baseline_messages: int = 5000) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="notifier-bench-email-"))
    url = database_url or f"sqlite:///{scratch / 'bench.db'}"
    load_before = os.getloadavg()
    try:
        with scratch_schema(url) as options, smtp_sink() as (sink, port):
            result = _run(patients, workers=workers, chunk_size=chunk_size, rate=rate, url=url, options=options,
                          scratch=scratch, sink=sink, port=port)
            job_messages = sink.count
            if baseline_messages:
                result.update(bare_smtp_baseline(port, messages=baseline_messages, workers=workers))
                result["job_vs_bare_smtp"] = round(result["emails_per_second"] / result["bare_smtp_per_second"], 2)
        result["sink_cpu_ms_per_message"] = round(sink.cpu_seconds / max(1, sink.count) * 1000, 3)
        result["sink_messages"] = sink.count
        result["received_by_sink"] = job_messages
        result["load_average_before"] = " ".join(f"{value:.2f}" for value in load_before)
        result["load_average_after"] = " ".join(f"{value:.2f}" for value in os.getloadavg())
        return result
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
            children_cpu = _children_cpu_seconds()
            status = run_job(app, job_id, workers=workers)
            finished = time.perf_counter()
            workers_cpu = _children_cpu_seconds() - children_cpu  # the pool's processes, ended by now
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
            "job_worker_cpu_ms_per_message": round(workers_cpu / patients * 1000, 3),
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
