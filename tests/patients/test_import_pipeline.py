"""Large files are validated in a second process while this one stores the batches (PIPELINE_MIN_BYTES): the
result must be exactly the in-process one, failures included. Here every file goes through the child."""

import csv

import pytest
from sqlalchemy.exc import OperationalError

from notifier.extensions import db
from notifier.models import Patient
from notifier.services import patients

COLUMNS = ("patient_id", "row_number", "status", "holds", "normalisations", "address_lines", "minor", "addressee",
           "salutation", "name_key", "birth_date", "postcode", "deceased")


def stored(import_id):
    return [tuple(getattr(patient, column) for column in COLUMNS) for patient in db.session.scalars(
        db.select(Patient).where(Patient.import_id == import_id).order_by(Patient.row_number))]


def messy_rows(files, prefix):
    return [
        files.person(f"{prefix}01"),
        files.person(f"{prefix}02", born="31/02/1980"),  # rejected
        files.person(f"{prefix}03", last="  dupont ", postcode="1000", city="Bourg-en-Bresse"),
        files.person(f"{prefix}01"),  # duplicate in the file
        files.person(f"{prefix}04", born=f"01/01/{files.THIS_YEAR - 5}"),  # minor without representative: held
        files.person(f"{prefix}05", deceased="oui"),
        files.person(f"{prefix}06", born="12/05/80"),  # rejected
        files.person("9" * 70),  # IPP longer than its column: rejected after the domain's checks
        files.person(f"{prefix}07", guardian="Mme Anne DURAND", born=f"01/01/{files.THIS_YEAR - 10}"),
    ]


def test_the_child_stores_what_the_in_process_import_stores(files, breach, dpo, tmp_path, monkeypatch):
    here = patients.import_file(breach, files.write_csv(tmp_path / "a.csv", messy_rows(files, "71")), user=dpo,
                                batch_size=3)
    monkeypatch.setattr(patients, "PIPELINE_MIN_BYTES", 0)
    child = patients.import_file(breach, files.write_csv(tmp_path / "b.csv", messy_rows(files, "72")), user=dpo,
                                 batch_size=3)
    for imp in (here, child):
        assert imp.status == "done"
        assert (imp.read, imp.accepted, imp.rejected, imp.held) == (9, 5, 4, 2)
    assert (child.hold_counts, child.normalisation_counts) == (here.hold_counts, here.normalisation_counts)

    def without_prefix(rows):
        return [(row[0][2:], *row[1:]) for row in rows]

    assert without_prefix(stored(child.id)) == without_prefix(stored(here.id))
    here_rejected = patients.rejected_path(here).read_bytes().decode("utf-8-sig")
    child_rejected = patients.rejected_path(child).read_bytes().decode("utf-8-sig")
    assert child_rejected == here_rejected.replace("71", "72")


def test_a_duplicate_of_an_earlier_import_is_found_by_the_child(files, breach, dpo, tmp_path, monkeypatch):
    patients.import_file(breach, files.write_csv(tmp_path / "a.csv", [files.person("730001")]), user=dpo)
    monkeypatch.setattr(patients, "PIPELINE_MIN_BYTES", 0)
    imp = patients.import_file(breach, files.write_csv(tmp_path / "b.csv", [files.person("730001"),
                                                                             files.person("730002")]), user=dpo)
    assert (imp.read, imp.accepted, imp.rejected) == (2, 1, 1)
    assert "730001" in patients.rejected_path(imp).read_bytes().decode("utf-8-sig")


def test_a_file_damaged_further_on_keeps_whole_batches(files, breach, dpo, tmp_path, monkeypatch):
    monkeypatch.setattr(patients, "PIPELINE_MIN_BYTES", 0)
    rows = [files.person(f"74000{i}", last=f"Nom{i}") for i in range(5)]
    rows.insert(4, files.person("749999", born="31/02/1980"))  # rejected, in the batch in progress
    path = files.write_csv(tmp_path / "damaged.csv", rows)
    with open(path, "a", encoding="utf-8", newline="") as handle:  # line 8: a quote never closed
        handle.write('740009;M.;Jean;"Unclosed;' + "x" * (csv.field_size_limit() + 10) + "\r\n")
    imp = patients.import_file(breach, path, user=dpo, batch_size=2)
    assert (imp.status, imp.error_code) == ("failed", "malformed_csv")
    assert imp.error.startswith("CSV mal formé ligne 8")
    assert sorted(db.session.scalars(db.select(Patient.patient_id))) == ["740000", "740001", "740002", "740003"]
    assert (imp.read, imp.accepted, imp.rejected) == (5, 4, 1)
    assert "749999" in patients.rejected_path(imp).read_bytes().decode("utf-8-sig")


def test_a_database_failure_rolls_back_the_batch_in_progress(files, breach, dpo, tmp_path, monkeypatch):
    monkeypatch.setattr(patients, "PIPELINE_MIN_BYTES", 0)
    writes = []
    write = patients._BatchWriter.write

    def fail_on_second_batch(self, connection, rows):
        writes.append(len(rows))
        if len(writes) == 2:
            raise OperationalError("INSERT INTO patient", {}, Exception("disk I/O error"))
        write(self, connection, rows)

    monkeypatch.setattr(patients._BatchWriter, "write", fail_on_second_batch)
    path = files.write_csv(tmp_path / "p.csv", [files.person(f"75000{i}", last=f"Nom{i}") for i in range(5)])
    imp = patients.import_file(breach, path, user=dpo, batch_size=2)
    assert (imp.status, imp.error_code) == ("failed", "internal")
    assert imp.error == "Exception: disk I/O error (lot commençant ligne 4)"
    assert sorted(db.session.scalars(db.select(Patient.patient_id))) == ["750000", "750001"]
    assert (imp.read, imp.accepted) == (2, 2)


def test_an_unexpected_error_in_the_child_ends_the_import_failed(files, breach, dpo, tmp_path, monkeypatch):
    monkeypatch.setattr(patients, "PIPELINE_MIN_BYTES", 0)
    path = files.write_csv(tmp_path / "p.csv", [files.person("760001")])
    # The child is a new process: a failure is provoked through its arguments (an unknown dialect option).
    batches = patients._child_batches

    def with_bad_option(*args, **options):
        return batches(*args, **options, unknown_option=True)

    monkeypatch.setattr(patients, "_child_batches", with_bad_option)
    imp = patients.import_file(breach, path, user=dpo)
    assert (imp.status, imp.error_code) == ("failed", "internal")
    assert imp.error.startswith("TypeError: _batches() got an unexpected keyword argument")
    assert imp.accepted == 0


@pytest.mark.parametrize("size, expected", [(patients.PIPELINE_MIN_BYTES - 1, False),
                                            (patients.PIPELINE_MIN_BYTES, True)])
def test_only_large_files_use_a_child(tmp_path, size, expected, monkeypatch):
    monkeypatch.setattr(patients.os, "cpu_count", lambda: 2)
    path = tmp_path / "p.csv"
    with open(path, "wb") as handle:
        handle.truncate(size)
    assert patients._use_child(path) is expected
    monkeypatch.setattr(patients.os, "cpu_count", lambda: 1)
    assert patients._use_child(path) is False
