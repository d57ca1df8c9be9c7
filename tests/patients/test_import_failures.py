"""An import that fails half-way: the rows are committed in whole batches, the batch in progress is rolled back
(never half a batch), the import ends `failed` with its reason, and earlier imports are left intact."""

import csv

import pytest
from sqlalchemy.exc import OperationalError

from notifier.extensions import db
from notifier.patients import services as patients
from notifier.patients.models import Patient, PatientImport


def stored_ids():
    return sorted(db.session.scalars(db.select(Patient.patient_id)))


@pytest.fixture
def earlier_import(files, breach, dpo, tmp_path):
    imp = patients.import_file(breach, files.write_csv(tmp_path / "first.csv", [files.person("900001")]), user=dpo)
    assert imp.status == "done"
    return imp


def test_a_file_damaged_further_on_keeps_whole_batches_and_ends_failed(files, breach, dpo, tmp_path,
                                                                       earlier_import):
    path = files.write_csv(tmp_path / "damaged.csv", [files.person(f"91000{i}", last=f"Nom{i}") for i in range(5)])
    with open(path, "a", encoding="utf-8", newline="") as handle:  # line 7: a quote never closed
        handle.write('910009;M.;Jean;"Unclosed;' + "x" * (csv.field_size_limit() + 10) + "\r\n")
    imp = patients.import_file(breach, path, user=dpo, batch_size=2)
    assert (imp.status, imp.error_code) == ("failed", "malformed_csv")
    assert imp.error.startswith("CSV mal formé ligne 7")
    # Batches of 2: rows 910000-910001 and 910002-910003 were committed; 910004 was in the batch in progress.
    assert stored_ids() == ["900001", "910000", "910001", "910002", "910003"]
    assert (imp.read, imp.accepted, imp.rejected) == (4, 4, 0)
    assert db.session.get(PatientImport, earlier_import.id).accepted == 1


def test_a_database_failure_rolls_back_the_batch_in_progress(files, breach, dpo, tmp_path, earlier_import,
                                                             monkeypatch):
    writes = []
    write = patients._BatchWriter.write

    def fail_on_second_batch(self, connection, rows):
        writes.append(len(rows))
        if len(writes) == 2:
            raise OperationalError("INSERT INTO patient", {}, Exception("disk I/O error"))
        write(self, connection, rows)

    monkeypatch.setattr(patients._BatchWriter, "write", fail_on_second_batch)
    path = files.write_csv(tmp_path / "p.csv", [files.person(f"92000{i}", last=f"Nom{i}") for i in range(5)])
    imp = patients.import_file(breach, path, user=dpo, batch_size=2)
    assert (imp.status, imp.error_code) == ("failed", "internal")
    assert imp.error == "Exception: disk I/O error (lot commençant ligne 4)"
    assert stored_ids() == ["900001", "920000", "920001"]
    assert (imp.read, imp.accepted) == (2, 2)
    assert imp.upload_file is None


def test_a_second_import_cannot_start_while_one_is_running(files, breach, dpo, tmp_path):
    path = files.write_csv(tmp_path / "p.csv", [files.person("930001")])
    running = patients.begin_import(breach, path, "p.csv", user=dpo, sha256="0" * 64)
    patients.confirm_mapping(running, running.mapping, user=dpo)
    waiting = patients.begin_import(breach, path, "p.csv", user=dpo, sha256="0" * 64)
    with pytest.raises(patients.ImportRefused) as refused:
        patients.confirm_mapping(waiting, waiting.mapping, user=dpo)
    assert refused.value.code == "import_running"


def test_an_import_left_running_by_a_dead_process_ends_failed(files, breach, dpo, tmp_path):
    from datetime import timedelta

    from notifier.core.types import utcnow

    path = files.write_csv(tmp_path / "p.csv", [files.person("940001")])
    imp = patients.begin_import(breach, path, "p.csv", user=dpo, sha256="0" * 64)
    patients.confirm_mapping(imp, imp.mapping, user=dpo)
    assert patients.fail_stale_imports(breach.id, now=utcnow() + timedelta(minutes=5)) == 0
    assert patients.fail_stale_imports(breach.id, now=utcnow() + patients.STALE_AFTER + timedelta(seconds=1)) == 1
    assert (imp.status, imp.error_code) == ("failed", "interrupted")


def test_an_import_whose_process_is_gone_ends_failed_at_once_one_whose_process_lives_does_not(files, breach, dpo,
                                                                                               tmp_path):
    import socket
    import subprocess
    import sys

    from notifier.core.processes import process_identity

    path = files.write_csv(tmp_path / "p.csv", [files.person("940002")])
    imp = patients.begin_import(breach, path, "p.csv", user=dpo, sha256="0" * 64)
    patients.confirm_mapping(imp, imp.mapping, user=dpo)
    imp.worker = process_identity()  # this test's own process: alive
    assert patients.fail_stale_imports(breach.id) == 0 and imp.status == "running"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    imp.worker = f"{socket.gethostname()}:{gone.pid}:1"  # a process of this machine that has ended
    assert patients.fail_stale_imports(breach.id) == 1
    assert (imp.status, imp.error_code) == ("failed", "interrupted")


def test_an_upload_left_waiting_for_its_columns_is_deleted_after_a_day(app, files, breach, dpo, tmp_path):
    from datetime import timedelta

    from notifier.core.types import utcnow

    source = files.write_csv(tmp_path / "p.csv", [["1", "x"]], headers=["Dossier", "Nom"])
    with open(source, "rb") as handle:
        staged, sha256 = patients.stage_upload(handle)
    imp = patients.begin_import(breach, patients.storage_path(staged), "p.csv", user=dpo, sha256=sha256,
                                staged=staged)
    assert imp.status == "mapping" and patients.storage_path(staged).is_file()
    patients.fail_stale_imports(breach.id, now=utcnow() + timedelta(hours=23))
    assert imp.status == "mapping"
    patients.fail_stale_imports(breach.id, now=utcnow() + patients.MAPPING_KEPT + timedelta(seconds=1))
    assert (imp.status, imp.upload_file) == ("cancelled", None)
    assert not patients.storage_path(staged).exists()


def test_a_failed_import_logs_neither_the_rows_nor_the_statement(files, breach, dpo, tmp_path, monkeypatch, caplog):
    import logging

    from sqlalchemy import text

    name = "ZÉPHYRINE-SECRETNOM"

    def failing_write(self, connection, rows):  # a real statement of the engine, with a patient's data bound to it
        connection.execute(text("INSERT INTO no_such_table VALUES (:name, :address)"),
                           {"name": name, "address": "12 RUE DES LILAS"})

    monkeypatch.setattr(patients._BatchWriter, "write", failing_write)
    path = files.write_csv(tmp_path / "p.csv", [files.person("950001", last=name),
                                                 files.person("950002", last=name, born="31/02/1980")])
    with caplog.at_level(logging.DEBUG):
        imp = patients.import_file(breach, path, user=dpo)
    assert (imp.status, imp.error_code) == ("failed", "internal")
    assert "patient import" in caplog.text  # the failure is logged...
    assert name not in caplog.text and "LILAS" not in caplog.text and name not in imp.error  # ...without the data
