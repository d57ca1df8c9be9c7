"""The letters benchmark runs end to end on a handful of synthetic patients."""

import csv

from notifier.bench.documents import TOWNS, run_letters_benchmark, synthetic_patients
from notifier.documents.stamping import letter_unstampable_characters


def test_synthetic_patients_are_sorted_by_postcode_with_postal_addresses():
    patients = synthetic_patients(0, 500, 500)
    assert [patient.postcode for patient in patients] == sorted(patient.postcode for patient in patients)
    assert {patient.postcode for patient in patients} == {postcode for postcode, _ in TOWNS}
    assert len({patient.reference for patient in patients}) == 500
    for patient in patients:
        # NF Z10-011: at most 6 lines of 38 characters, postcode and city last.
        assert 2 <= len(patient.address_lines) <= 6
        assert all(len(line) <= 38 for line in patient.address_lines)
        assert patient.address_lines[-1].startswith(patient.postcode + " ")
        assert letter_unstampable_characters(patient) == set()
    assert any(not line.isascii() for patient in patients for line in patient.address_lines)
    assert synthetic_patients(100, 110, 500) == patients[100:110]


def test_the_benchmark_writes_lots_and_a_manifest_and_reports_its_figures(tmp_path):
    result = run_letters_benchmark(25, workers=1, out_dir=tmp_path, lot_size=10, baseline_sample=1)

    assert result["patients"] == 25 and result["lots"] == 3 and result["naive_sample"] == 1
    assert sorted(path.name for path in tmp_path.glob("lot-*.pdf")) == ["lot-0001.pdf", "lot-0002.pdf", "lot-0003.pdf"]
    with open(tmp_path / "manifest.csv", encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["lot"] for row in rows] == ["lot-0001.pdf"] * 10 + ["lot-0002.pdf"] * 10 + ["lot-0003.pdf"] * 5
    assert [row["reference"] for row in rows] == [patient.reference for patient in synthetic_patients(0, 25, 25)]
    for key in ("fast_letters_per_second", "naive_letters_per_second", "speedup", "bytes_per_letter",
                "peak_rss_parent_mib", "peak_rss_fast_worker_mib"):
        assert result[key] > 0
