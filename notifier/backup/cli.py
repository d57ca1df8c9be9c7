"""`notifier backup OUT` and `notifier restore FILE`: a consistent online backup of the SQLite database.

PostgreSQL deployments use `pg_dump` (docs/security.md): these commands refuse with that advice."""

import shutil
import sqlite3
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url

from notifier.core.cli import cli_text
from notifier.core.i18n import N_, cli_language


def _sqlite_path() -> Path:
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database:
        click.echo("error: the database is not SQLite: use `pg_dump -Fc` / `pg_restore` (docs/security.md)", err=True)
        sys.exit(2)
    return Path(url.database)


def check_backup(path: Path) -> list[str]:
    """Problems found in a backup file: SQLite integrity, the expected tables, the audit chain."""
    from notifier.audit import checkpoints, keys
    from notifier.audit import services as audit

    problems = []
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return [f"not a readable SQLite database: {error}"]
    if result != "ok":
        problems.append(f"integrity check: {result}")
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    for table in ("breach", "user", "audit_entry", "alembic_version"):
        if table not in tables:
            problems.append(f"missing table {table}")
    if "audit_entry" in tables:
        # The keyed chain, and the signed checkpoints as far as the backup reaches (it is an earlier copy).
        connection.row_factory = sqlite3.Row
        rows = connection.execute("SELECT * FROM audit_entry ORDER BY id")
        valid, _ = checkpoints.load()
        report = audit.check(audit.row_entries(dict(row) for row in rows), valid, None, key=keys.chain_key(),
                             every=None, prefix=True)
        if not report.intact:
            problems.append(cli_text(N_("chaîne d'audit rompue à l'entrée %(id)s\u00a0: %(problem)s"),
                                     id=report.first_bad_id, problem=report.problem_in(cli_language())))
    connection.close()
    return problems


@click.command("backup")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(out: Path):
    """Online, consistent copy of the SQLite database (the app may keep running)."""
    source = sqlite3.connect(_sqlite_path())
    target = sqlite3.connect(out)
    with target:
        source.backup(target)  # SQLite's online backup API: a consistent snapshot even while others write
    source.close()
    target.close()
    problems = check_backup(out)
    if problems:
        click.echo("error: the backup does not check out: " + "; ".join(problems), err=True)
        sys.exit(1)
    click.echo(f"backup written to {out} ({out.stat().st_size} bytes), checked")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Only check the backup; change nothing.")
@with_appcontext
def restore_command(file: Path, check_only: bool):
    """Check a backup (integrity, tables, audit chain) and, unless --check, put it in place of the database;
    the current database is kept beside it as *.before-restore. Stop the app first."""
    problems = check_backup(file)
    if problems:
        click.echo("error: " + "; ".join(problems), err=True)
        sys.exit(1)
    click.echo(f"{file}: integrity ok, tables present, audit chain intact")
    if check_only:
        return
    database = _sqlite_path()
    if database.exists():
        shutil.copy2(database, database.with_suffix(database.suffix + ".before-restore"))
    for suffix in ("-wal", "-shm"):
        Path(str(database) + suffix).unlink(missing_ok=True)
    shutil.copy2(file, database)
    click.echo(f"restored into {database}")


COMMANDS = [backup_command, restore_command]
