"""SQLite: the import stores its rows with a larger page cache (services.patients._large_page_cache) and gives the
pooled connection back with the cache it had, after a success as after a failure."""

import pytest
from sqlalchemy.exc import OperationalError

from notifier.extensions import db
from notifier.patients import services as patients


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")


def test_the_connection_gets_its_cache_back(sqlite_only, files, breach, dpo, tmp_path, monkeypatch):
    seen = []
    write = patients._BatchWriter.write

    def record_cache(self, connection, rows):
        seen.append(connection.exec_driver_sql("PRAGMA cache_size").scalar())
        write(self, connection, rows)

    monkeypatch.setattr(patients._BatchWriter, "write", record_cache)
    with db.engine.connect() as connection:
        default = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    imp = patients.import_file(breach, files.write_csv(tmp_path / "p.csv", [files.person("960001")]), user=dpo)
    assert imp.status == "done" and seen == [-patients.IMPORT_CACHE_KIB]
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == default


def test_after_a_failure_too(sqlite_only, files, breach, dpo, tmp_path, monkeypatch):
    def fail(self, connection, rows):
        raise OperationalError("INSERT INTO patient", {}, Exception("disk I/O error"))

    monkeypatch.setattr(patients._BatchWriter, "write", fail)
    with db.engine.connect() as connection:
        default = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    imp = patients.import_file(breach, files.write_csv(tmp_path / "p.csv", [files.person("960002")]), user=dpo)
    assert imp.status == "failed"
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA cache_size").scalar() == default
