"""`notifier backup` takes a consistent online copy of the SQLite database; `notifier restore --check` checks one."""

import sqlite3

import pytest

from notifier.breaches import services as breaches
from notifier.extensions import db


@pytest.fixture
def runner(app, backend):
    if backend != "sqlite":
        pytest.skip("the SQLite backup commands; PostgreSQL uses pg_dump (docs/security.md)")
    return app.test_cli_runner(env={"NOTIFIER_LANG": "en"})  # the assertions read the English messages


def test_backup_then_check(runner, dpo, establishment, tmp_path):
    from flask_migrate import stamp

    stamp()  # the backup check expects a migrated database (alembic_version)
    breaches.create_breach(dpo, establishment)
    db.session.commit()  # as the request that called it would
    out = tmp_path / "backup.db"
    result = runner.invoke(args=["backup", str(out)])
    assert result.exit_code == 0, result.output
    assert sqlite3.connect(out).execute("select count(*) from breach").fetchone()[0] == 1
    result = runner.invoke(args=["restore", "--check", str(out)])
    assert result.exit_code == 0 and "audit chain intact" in result.output


def test_a_tampered_backup_is_refused(runner, dpo, establishment, tmp_path):
    from flask_migrate import stamp

    stamp()
    breaches.create_breach(dpo, establishment)
    db.session.commit()  # as the request that called it would
    out = tmp_path / "backup.db"
    runner.invoke(args=["backup", str(out)])
    connection = sqlite3.connect(out)
    connection.execute("update audit_entry set action = 'nothing.happened'")
    connection.commit()
    connection.close()
    result = runner.invoke(args=["restore", "--check", str(out)])
    assert result.exit_code == 1 and "audit chain broken" in result.output


def test_a_file_that_is_not_a_database_is_refused(runner, tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database at all" * 100)
    result = runner.invoke(args=["restore", "--check", str(junk)])
    assert result.exit_code == 1
