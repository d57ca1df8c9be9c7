"""End-to-end letters benchmark: N patients in a database, the real generation job (numbers, chunk plan, worker
processes, lots, manifest), against naive per-letter WeasyPrint on the same template in the same run.

Issue 6's target: 750,000 letters in under 13 minutes on 2 cores, i.e. >= 1,000 letters/s end to end, peak memory
< 500 MiB whatever N, < 2 KiB per letter. The database is a scratch one (a temporary SQLite file by default, or a
temporary schema of the PostgreSQL server given): the benchmark never touches the app's own data.
"""

from __future__ import annotations

import os
import resource
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from notifier.accounts.roles import Role
from notifier.bench.documents import synthetic_patient
from notifier.documents.letter import EXAMPLE_TEXTS, LetterContent, LetterFields, render_letter_naive
from notifier.letters.states import Audience, JobStatus
from notifier.patients.states import ImportStatus, PatientStatus


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)  # ru_maxrss is in KiB on Linux


def _naive(job: tuple[LetterContent, list[LetterFields]]) -> int:
    content, fields = job
    return sum(len(render_letter_naive(content, item)) for item in fields)


def _patient_rows(breach_id: int, import_id: int, start: int, stop: int, total: int) -> list[dict[str, Any]]:
    rows = []
    for index in range(start, stop):
        fields = synthetic_patient(index, total)
        civility = "mme" if fields.salutation.startswith("Madame") else "m"
        name = fields.address_lines[0].split(" ")
        rows.append({
            "breach_id": breach_id, "import_id": import_id, "row_number": index + 2,
            "patient_id": fields.patient_id, "civility": civility, "first_name": " ".join(name[1:-1]),
            "last_name": name[-1], "birth_date": date(1950 + index % 50, 1 + index % 12, 1 + index % 28),
            "address_lines": list(fields.address_lines), "postcode": fields.postcode,
            "city": fields.address_lines[-1][6:], "status": PatientStatus.READY, "holds": [],
            "salutation": fields.salutation,
            "deceased": False, "protected_adult": False, "confidential_care": False, "normalisations": [],
        })
    return rows


@contextmanager
def scratch_schema(url: str) -> Iterator[dict[str, Any]]:
    """For a PostgreSQL URL, a temporary schema created now and dropped at the end; yields the engine options that
    put it first on the search path ({} for SQLite, whose scratch database is a file)."""
    if not url.startswith("postgresql"):
        yield {}
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield {"connect_args": {"options": f"-csearch_path={schema}"}}
    finally:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def run(patients: int, *, workers: int = 2, lot_size: int = 5000, baseline_sample: int = 200,
        database_url: str | None = None, keep: bool = False) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="notifier-bench-letters-"))
    url = database_url or f"sqlite:///{scratch / 'bench.db'}"
    with scratch_schema(url) as options:
        try:
            return _run(patients, workers=workers, lot_size=lot_size, baseline_sample=baseline_sample, url=url,
                        options=options, scratch=scratch, keep=keep)
        finally:
            if not keep:
                shutil.rmtree(scratch, ignore_errors=True)


def _run(patients: int, *, workers: int, lot_size: int, baseline_sample: int, url: str, options: dict[str, Any],
         scratch: Path, keep: bool) -> dict[str, Any]:
    from notifier import create_app
    from notifier.extensions import db
    from notifier.letters import jobs as letter_jobs
    from notifier.letters import services as letters
    from notifier.letters.runners import run_job
    from notifier.patients.models import Patient

    app = create_app({"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                      "STORAGE_DIR": str(scratch / "storage"), "SECRET_KEY": uuid.uuid4().hex,
                      "LETTER_WORKERS": workers})
    result: dict[str, Any] = {"patients": patients, "workers": workers, "lot_size": lot_size,
                              "database": "postgresql" if options else "sqlite"}
    try:
        with app.app_context():
            db.create_all()
            dpo, legal, breach, upload = seed_breach(patients)

            started = time.perf_counter()
            for start in range(0, patients, 10_000):
                db.session.execute(Patient.__table__.insert(), _patient_rows(
                    breach.id, upload.id, start, min(start + 10_000, patients), patients))
                db.session.commit()
            insert_seconds = time.perf_counter() - started

            texts = {**EXAMPLE_TEXTS["fr"], "introduction": "", "closing": "", "signatory": ""}
            template = letters.save_template(breach, dpo, "standard", letters.TemplateDraft(
                texts=texts, letter_date=date(2026, 3, 16)))
            letters.approve_template(template, legal)
            db.session.commit()
            breach_id, template_id = breach.id, template.id
            size_before = _database_bytes(url, scratch)

            out = scratch / "out"
            job_started = time.perf_counter()
            job = letter_jobs.start_job(db.session.get(type(breach), breach_id), user=None, out_dir=out,
                                        lot_size=lot_size).job
            job_id, lots = job.id, len(job.chunks)
            planned = time.perf_counter()
            status = run_job(app, job_id, workers=workers)
            fast_seconds = time.perf_counter() - job_started
            if status != JobStatus.DONE:
                raise RuntimeError(f"the benchmark job ended {status}")
            children_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            lot_bytes = sum(path.stat().st_size for path in out.glob("lot-*.pdf"))
            manifest_bytes = (out / "manifest.csv").stat().st_size
            database_bytes = _database_bytes(url, scratch) - size_before

            sample = min(baseline_sample, patients)
            naive_seconds = 0.0
            if sample:
                template = db.session.get(type(template), template_id)
                content = letters.letter_content(template)
                chosen = db.session.execute(
                    db.select(Patient.patient_id, Patient.postcode, Patient.address_lines, Patient.salutation,
                              Patient.civility, Patient.deceased).where(Patient.breach_id == breach_id)
                    .order_by(Patient.postcode, Patient.id).limit(sample)).all()
                fields = [letters.letter_fields("BENCH", index, row, lang="fr", audience=Audience.ANY)
                          for index, row in enumerate(chosen)]
                step = -(-sample // workers)
                started = time.perf_counter()
                with ProcessPoolExecutor(workers) as pool:
                    list(pool.map(_naive, [(content, fields[i:i + step]) for i in range(0, sample, step)]))
                naive_seconds = time.perf_counter() - started
        fast_rate = patients / fast_seconds
        naive_rate = sample / naive_seconds if sample else 0.0
        result.update({
            "lots": lots,
            "insert_patients_per_second": round(patients / insert_seconds),
            "plan_seconds": round(planned - job_started, 2),
            "fast_seconds": round(fast_seconds, 2),
            "fast_letters_per_second": round(fast_rate, 1),
            "minutes_for_750000": round(750_000 / fast_rate / 60, 1),
            "naive_sample": sample,
            "naive_seconds": round(naive_seconds, 2),
            "naive_letters_per_second": round(naive_rate, 1),
            "speedup": round(fast_rate / naive_rate, 1) if naive_rate else None,
            "pdf_bytes_per_letter": round(lot_bytes / patients),
            "manifest_bytes_per_letter": round(manifest_bytes / patients),
            "database_bytes_per_letter": round(database_bytes / patients) if database_bytes else None,
            "peak_rss_parent_mib": _mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss),
            "peak_rss_worker_mib": _mib(children_kib),
            "out_dir": str(out) if keep else "(removed; --keep to keep it)",
        })
        return result
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def _database_bytes(url: str, scratch: Path) -> int:
    """Size of the SQLite database files (with the WAL), 0 for other databases (not measured)."""
    if not url.startswith("sqlite"):
        return 0
    return sum(path.stat().st_size for path in scratch.glob("bench.db*") if path.is_file())


def format_result(result: dict[str, Any]) -> str:
    return "\n".join(f"{key:30} {value}" for key, value in result.items())


if __name__ == "__main__":  # python -m notifier.bench.letters N
    import sys

    print(format_result(run(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000, workers=os.cpu_count() or 2)))


def seed_breach(patients: int):
    """The scratch organisation, establishment, DPO, jurist, breach and import record every benchmark works on
    (inside an app context of the benchmark's own database); returns (dpo, legal, breach, upload)."""
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.accounts.services import add_user
    from notifier.breaches.services import create_breach
    from notifier.extensions import db
    from notifier.patients.models import PatientImport
    organisation = Organisation(name="CHU de Démonstration")
    establishment = Establishment(organisation=organisation, name="Centre hospitalier de Démonstration",
                                  address="1 rue de l'Hôpital, 75014 Paris", dpo_name="Claire Martin",
                                  dpo_email="dpo@chu-demo.example", dpo_phone="01 23 45 67 89")
    db.session.add_all([organisation, establishment])
    db.session.commit()
    password = uuid.uuid4().hex
    dpo = add_user("dpo@bench.example", Role.DPO, password, organisation=organisation)
    legal = add_user("legal@bench.example", Role.LEGAL, password, organisation=organisation)
    breach = create_breach(dpo, establishment)
    db.session.commit()
    upload = PatientImport(breach_id=breach.id, filename="bench.csv", sha256="0" * 64, status=ImportStatus.DONE,
                           read=patients, accepted=patients)
    db.session.add(upload)
    db.session.commit()
    return dpo, legal, breach, upload
