"""The benchmark's patient list looks like a real hospital export, and the benchmark measures both steps."""

import io
from collections import Counter

import pytest

from notifier.bench.imports import LETTER_DATE, TODAY, make_patient_csv, run_import_benchmark
from notifier.patients.rules.rows import open_patient_file


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252"])
def test_generated_list_is_as_messy_as_a_real_export(tmp_path, encoding):
    path = tmp_path / "patients.csv"
    make_patient_csv(path, 4000, bad_ratio=0.02, encoding=encoding)
    patient_file = open_patient_file(path)
    assert patient_file.encoding == encoding and patient_file.detected_mapping.missing_required == []
    rows = list(patient_file.rows(patient_file.detected_mapping.mapping, today=TODAY, letter_date=LETTER_DATE))
    assert len(rows) == 4000
    assert 0.01 < sum(not row.accepted for row in rows) / len(rows) < 0.03
    patients = [row.patient for row in rows if row.accepted]
    holds = Counter(hold for patient in patients for hold in patient["holds"])
    assert {"deceased", "address_abroad"} <= set(holds)
    assert any(patient["addressee"] == "guardian" for patient in patients)
    assert any(patient["address_lines"][0].startswith("Aux parents de ") for patient in patients)  # minors
    reasons = Counter(change.reason for patient in patients for change in patient["normalisations"])
    assert {"postcode_zero_padded", "whitespace", "punctuation_removed", "last_line_format"} <= set(reasons)
    numbers = [row.row_number for row in rows]
    assert numbers[-1] > numbers[0] + len(numbers) - 1  # quoted line breaks: rows keep the file's line numbers


def test_benchmark_measures_the_baseline_and_the_validation(tmp_path):
    out = io.StringIO()
    results = run_import_benchmark(300, workdir=tmp_path, out=out)
    assert set(results) == {"baseline", "validate"}
    assert results["baseline"]["rows"] == results["validate"]["rows"] == 300
    assert all(result["rows_per_second"] > 0 and result["peak_rss_mib"] > 0 for result in results.values())
    assert "rows/s" in out.getvalue()
