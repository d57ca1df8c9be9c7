"""`notifier patients import|purge` and the import benchmark, thin wrappers over services.patients.

    notifier patients import BREACH_ID FILE [--mapping NAME] [--rejected OUT.csv] [--json] [--user EMAIL]
    notifier patients purge BREACH_ID [--force] [--user EMAIL]

`import` exits 0 when the file was processed (rejected rows included: their reasons are in the rejected-rows CSV),
2 with one `error:` line when the file itself is unusable (not CSV/XLSX, unknown encoding, no recognisable or
required columns, damaged further on), 1 on an unexpected failure. `--json` prints
{"read", "accepted", "rejected", "held", ...} with read = accepted + rejected.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from notifier.core.cli import Command, Group, acting_user, cli_text, fail
from notifier.core.i18n import N_, cli_language

FILE_ERROR_EXIT = 2


@click.group("patients", cls=Group)
def patients_group():
    """Affected patients: import a list (CSV/XLSX), purge it after the retention period."""


def _breach_and_user(breach_id: int, email: str | None, permission: str):
    from notifier.breaches.models import Breach
    from notifier.extensions import db

    breach = db.session.get(Breach, breach_id)
    if breach is None:
        fail(cli_text(N_("aucune violation %(id)s"), id=breach_id))
    user = acting_user(email)
    if user.organisation_id != breach.organisation_id:
        fail(cli_text(N_("%(email)s n'appartient pas à l'organisme de la violation %(id)s"), email=user.email,
                      id=breach_id))
    if not user.can(permission):
        fail(cli_text(N_("%(email)s (%(role)s) n'a pas ce droit (%(permission)s)"), email=user.email,
                      role=user.role, permission=permission))
    return breach, user


@patients_group.command("import", cls=Command)
@click.argument("breach_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", "mapping_name", default=None, help="A column mapping saved from the web page, by name.")
@click.option("--rejected", "rejected_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the rejected rows, with their reasons, to this CSV (to fix and import again).")
@click.option("--json", "as_json", is_flag=True, help='Print {"read", "accepted", "rejected", "held", ...}.')
@click.option("--user", "email", default=None, help="Account recorded as author (default: the only DPO).")
@with_appcontext
def import_command(breach_id: int, file: Path, mapping_name, rejected_out: Path | None, as_json: bool, email):
    """Import the affected patients of a breach from a CSV or XLSX file."""
    from notifier.patients import services as patients
    from notifier.patients.rules.rows import ImportFileError

    breach, user = _breach_and_user(breach_id, email, "patients.import")
    if rejected_out and not rejected_out.parent.is_dir():
        fail(cli_text(N_("dossier introuvable\u00a0: %(path)s"), path=rejected_out.parent))
    try:
        imp = patients.import_file(breach, file, user=user, mapping_name=mapping_name)
    except ImportFileError as error:
        fail(error.message(cli_language()), FILE_ERROR_EXIT)
    except patients.ImportRefused as error:
        fail(error.message(cli_language()))
    if imp.status != "done":
        status = FILE_ERROR_EXIT if imp.error_code != "internal" else 1
        fail(f"import stopped ({imp.error_code}): {imp.error}; kept {imp.accepted} patients from earlier batches",
             status)
    ignored = [header for header, field in imp.mapping.items() if not field]
    if ignored and not as_json:
        click.echo(f"note: columns not recognised, ignored: {', '.join(ignored)}", err=True)
    if rejected_out:
        _write_rejected(imp, rejected_out)
    result = {"read": imp.read, "accepted": imp.accepted, "rejected": imp.rejected, "held": imp.held,
              "import_id": imp.id, "holds": imp.hold_counts, "normalisations": imp.normalisation_counts,
              "ignored_columns": ignored, "rejected_file": str(rejected_out) if rejected_out else None}
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(f"{breach.reference}: read {imp.read} rows: {imp.accepted} accepted ({imp.held} held for review), "
               f"{imp.rejected} rejected")
    if imp.normalisation_counts:
        click.echo("normalised: " + ", ".join(f"{code} {count}" for code, count in
                                              sorted(imp.normalisation_counts.items(), key=lambda item: -item[1])))
    if rejected_out:
        click.echo(f"rejected rows and their reasons: {rejected_out}")
    elif imp.rejected:
        click.echo("rejected rows and their reasons: use --rejected OUT.csv, or download them from the patients page")


def _write_rejected(imp, out: Path) -> None:
    import shutil

    from notifier.patients import services as patients
    from notifier.patients.rules.rows import write_rejected_csv

    source = patients.rejected_path(imp)
    try:
        if source is not None:
            shutil.copyfile(source, out)
        else:  # nothing rejected: the columns alone, so that a script always finds the file
            with open(out, "wb") as handle:
                write_rejected_csv(handle, imp.headers, [])
    except OSError as error:
        fail(cli_text(N_("impossible d'écrire %(path)s\u00a0: %(reason)s"), path=out, reason=error.strerror))


@patients_group.command("purge", cls=Command)
@click.argument("breach_id", type=int)
@click.option("--force", is_flag=True, help="Do not ask for confirmation.")
@click.option("--user", "email", default=None, help="Account recorded as author (default: the only DPO).")
@with_appcontext
def purge_command(breach_id: int, force: bool, email):
    """Delete the patient list of a closed breach once its retention period (PATIENT_RETENTION_DAYS after closing,
    GDPR art. 5(1)(e)) is over; the imports' counts and the letters' references and statuses are kept."""
    from notifier.extensions import db
    from notifier.patients import services as patients

    breach, user = _breach_and_user(breach_id, email, "patients.import")
    retention_days = current_app.config["PATIENT_RETENTION_DAYS"]
    try:
        patients.check_purge(breach, retention_days=retention_days)
    except patients.PurgeRefused as error:
        fail(cli_text(N_("violation %(reference)s\u00a0: %(problem)s"), reference=breach.reference,
                      problem=error.message(cli_language())))
    count = patients.counts(breach.id).total
    if not force:
        if not sys.stdin.isatty():
            fail(cli_text(N_("pas de terminal interactif\u00a0: confirmez avec --force")))
        click.confirm(f"Delete the {count} patients of breach {breach.reference}?", abort=True)
    try:
        deleted = patients.purge(breach, user=user, retention_days=retention_days)
    except patients.PurgeRefused as error:
        db.session.rollback()
        fail(cli_text(N_("violation %(reference)s\u00a0: %(problem)s"), reference=breach.reference,
                      problem=error.message(cli_language())))
    click.echo(f"{breach.reference}: deleted {deleted} patients; import counts and letter references kept")


COMMANDS = [patients_group]


# --- Benchmark -----------------------------------------------------------------------------------------------------

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
        step = [sys.executable, "-m", "notifier.patients.cli", "bench-step"]
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
        user = add_user("dpo@bench.invalid", "dpo", "bench passphrase 2026", organisation=organisation)
        breach = create_breach(user, establishment)
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


if __name__ == "__main__":  # python -m notifier.patients.cli bench-step baseline|import FILE WORKDIR [URL]
    if len(sys.argv) not in (5, 6) or sys.argv[1] != "bench-step" or sys.argv[2] not in ("baseline", "import"):
        raise SystemExit("usage: python -m notifier.patients.cli bench-step baseline|import FILE WORKDIR [URL]")
    _step, _path, _workdir, *_url = sys.argv[2:]
    print(json.dumps(_bench_baseline(_path) if _step == "baseline" else _bench_step(_path, _workdir, *_url)))
