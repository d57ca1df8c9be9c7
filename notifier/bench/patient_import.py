"""`notifier bench import`: the patient import (patients.services.import_file, into a fresh app database) against
plain csv + sqlite3.executemany of the same generated rows, each step in its own process
(`python -m notifier.bench.patient_import bench-step baseline|import FILE WORKDIR [URL]`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import click


def run_import_benchmark(rows: int, *, workdir: str | None = None, quiet: bool = False,
                         database_url: str | None = None) -> dict[str, dict]:
    """Generate `rows` messy patients (bench_import.make_patient_csv), then in the same run time, each in its own
    process: the baseline (plain `csv` + `sqlite3.executemany` of the raw rows into a fresh SQLite file) and the
    real import (services.patients.import_file into a fresh SQLite app database, or into a temporary schema of the
    PostgreSQL server at `database_url`). Peak memory is each child's own (see _child); CPU seconds, from os.wait4,
    are the whole child's, set-up included. Prints and returns the figures."""
    from notifier.bench.imports import make_patient_csv

    out = open(os.devnull, "w") if quiet else sys.stdout  # noqa: SIM115 - closed below when opened here
    with tempfile.TemporaryDirectory(dir=workdir) as tmp:
        path = os.path.join(tmp, "patients.csv")
        started = time.perf_counter()
        make_patient_csv(path, rows)
        size_mib = os.path.getsize(path) / 2**20
        print(f"generated {rows:,} patients ({size_mib:.0f} MiB CSV) in {time.perf_counter() - started:.1f} s",
              file=out)
        step = [sys.executable, "-m", "notifier.bench.patient_import", "bench-step"]
        results = {"baseline": _child([*step, "baseline", path, tmp]),
                   "import": _child([*step, "import", path, tmp, database_url or ""])}
    for result in results.values():
        result["rows_per_second"] = result["rows"] / result["seconds"]
    baseline, real = results["baseline"], results["import"]
    ratio = baseline["rows_per_second"] / real["rows_per_second"]
    print(f"baseline  {baseline['rows']:>9,} rows in {baseline['seconds']:6.1f} s = "
          f"{baseline['rows_per_second']:>9,.0f} rows/s, peak RSS {baseline['peak_mib']:.0f} MiB, "
          f"CPU {baseline['child_cpu_seconds']:.1f} s with set-up", file=out)
    print(f"import    {real['rows']:>9,} rows in {real['seconds']:6.1f} s = {real['rows_per_second']:>9,.0f} rows/s, "
          f"into {real['database']}, "
          f"peak RSS {real['peak_mib']:.0f} MiB, CPU {real['child_cpu_seconds']:.1f} s with set-up "
          f"({real['accepted']:,} accepted, {real['rejected']:,} rejected, {real['held']:,} held)", file=out)
    print(f"import / baseline: {ratio:.2f}x the baseline's time (target <= 2x); targets: >= 20,000 rows/s, "
          f"< 300 MiB", file=out)
    results["ratio"] = {"value": ratio}
    if quiet:
        out.close()
    return results


def _child(command: list[str]) -> dict:
    """Run one measured step in a child process. Its peak memory is the high-water mark of its own address space
    (VmHWM, reported by the child): getrusage's ru_maxrss of a child (RUSAGE_CHILDREN, os.wait4) also counts the
    parent's pages at fork time, before exec, here the ~110 MiB of this command with Flask loaded."""
    with tempfile.TemporaryFile() as errors, subprocess.Popen(command, stdout=subprocess.PIPE,
                                                               stderr=errors) as process:
        stdout = process.stdout.read()
        _pid, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        stderr = errors.read()
    if process.returncode != 0:
        raise click.ClickException(f"benchmark step failed: {' '.join(command[2:4])}: "
                                   f"{stderr.decode(errors='replace').strip().splitlines()[-1:]}")
    result = json.loads(stdout.decode().strip().splitlines()[-1])
    result["child_cpu_seconds"] = usage.ru_utime + usage.ru_stime  # the whole child, set-up included
    return result


def _peak_mib() -> float:
    """This process's peak resident memory since exec (Linux VmHWM); ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _bench_baseline(path: str) -> dict:
    """(child) Plain csv + sqlite3.executemany of the raw rows into a fresh SQLite file: the floor."""
    from notifier.bench.imports import _baseline

    result = _baseline(path, "utf-8-sig")
    return {"rows": result["rows"], "seconds": result["seconds"], "peak_mib": _peak_mib()}


def _bench_step(path: str, workdir: str, database_url: str = "") -> dict:
    """(child) The real import into a fresh app database (a SQLite file, or a temporary PostgreSQL schema); times
    the import only, not the app set-up."""
    from notifier.bench.letters import scratch_schema

    url = database_url or f"sqlite:///{os.path.join(workdir, 'app.db')}"
    with scratch_schema(url) as options:
        return _bench_import(path, workdir, url, options)


def _bench_import(path: str, workdir: str, url: str, options: dict) -> dict:
    from notifier import create_app
    from notifier.bench.imports import LETTER_DATE, TODAY
    from notifier.extensions import db

    app = create_app({"DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url, "SQLALCHEMY_ENGINE_OPTIONS": options,
                      "SECRET_KEY": "bench", "STORAGE_DIR": os.path.join(workdir, "storage")})
    with app.app_context():
        from notifier.accounts.organisations import Establishment, Organisation
        from notifier.accounts.services import add_user
        from notifier.breaches.services import create_breach
        from notifier.patients import services as patients

        db.create_all()
        organisation = Organisation(name="Bench")
        establishment = Establishment(organisation=organisation, name="Bench")
        db.session.add_all([organisation, establishment])
        db.session.commit()
        user = add_user("dpo@bench.invalid", "dpo", "import step passphrase 2026", organisation=organisation)
        breach = create_breach(user, establishment)
        db.session.commit()
        started = time.perf_counter()
        imp = patients.import_file(breach, path, user=user, today=TODAY, letter_date=LETTER_DATE)
        seconds = time.perf_counter() - started
        if imp.status != "done":
            raise SystemExit(f"import {imp.status}: {imp.error}")
        result = {"rows": imp.read, "accepted": imp.accepted, "rejected": imp.rejected, "held": imp.held,
                  "seconds": seconds, "peak_mib": _peak_mib(), "database": db.engine.dialect.name}
        db.session.remove()
        db.engine.dispose()  # before the schema is dropped
        return result


if __name__ == "__main__":  # python -m notifier.bench.patient_import bench-step baseline|import FILE WORKDIR [URL]
    if len(sys.argv) not in (5, 6) or sys.argv[1] != "bench-step" or sys.argv[2] not in ("baseline", "import"):
        raise SystemExit("usage: python -m notifier.bench.patient_import bench-step baseline|import FILE WORKDIR [URL]")
    _step, _path, _workdir, *_url = sys.argv[2:]
    print(json.dumps(_bench_baseline(_path) if _step == "baseline" else _bench_step(_path, _workdir, *_url)))
