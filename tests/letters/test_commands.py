"""`notifier letters generate|status|reprint|track|notice` and `notifier bench letters`: the command-line contract."""

import pytest

from notifier.letters.models import LetterJob

# The commands are thin wrappers over services tested on both databases: here, the contract, on SQLite.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def run(app, *args):
    return app.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(args=[*map(str, args)])  # messages in English


def one_error_line(result, message):
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines


def test_generation_without_an_approved_template_exits_2_unless_draft(app, breach, dpo, people, helpers, tmp_path):
    helpers.make_template(breach, dpo)
    out = tmp_path / "letters"
    one_error_line(run(app, "letters", "generate", breach.id, "--out", out), "No approved template")
    assert LetterJob.query.count() == 0 and not list(out.glob("*"))

    result = run(app, "letters", "generate", breach.id, "--out", out, "--draft", "--lot-size", "6", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "10 letters in 2 lots (drafts: PROJET)" in result.stdout
    assert "2 patient(s) held for review" in result.stdout
    assert sorted(path.name for path in out.iterdir()) == ["lot-0001.pdf", "lot-0002.pdf", "manifest.csv"]
    assert len(helpers.read_manifest(out / "manifest.csv")) == 10

    status = run(app, "letters", "status", breach.id, "--held")
    assert status.exit_code == 0
    assert "(draft): done · 10/10 letters (100.0 %) · lots 2/2" in status.stdout
    assert "IPP006\tdeceased" in status.stdout and "IPP010\tminor_without_representative" in status.stdout


def test_duplex_lays_the_lots_out_for_recto_verso_printing(app, breach, approved, helpers, tmp_path):
    result = run(app, "letters", "generate", breach.id, "--out", tmp_path / "out", "--duplex", "--workers", "1")
    assert result.exit_code == 0, result.output
    assert LetterJob.query.one().duplex is True
    first_pages = [int(row["first_page"]) for row in helpers.read_manifest(tmp_path / "out" / "manifest.csv")]
    assert first_pages == list(range(3, 3 + 2 * 10, 2))  # after the cover sheet and its blank verso


def test_reprint_writes_the_letter_of_the_lot_and_track_applies_a_file_or_nothing(app, breach, approved, helpers,
                                                                                  tmp_path):
    out = tmp_path / "letters"
    assert run(app, "letters", "generate", breach.id, "--out", out, "--workers", "1").exit_code == 0
    manifest = helpers.read_manifest(out / "manifest.csv")
    row = next(row for row in manifest if row["patient_id"] == "IPP004")
    result = run(app, "letters", "reprint", breach.id, "IPP004", "--out", tmp_path / "again.pdf")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1] == row["sha256"]
    assert row["reference"] in helpers.pdf_text((tmp_path / "again.pdf").read_bytes())
    one_error_line(run(app, "letters", "reprint", breach.id, "IPP006", "--out", tmp_path / "x.pdf"),
                   "No letter generated for patient IPP006")
    one_error_line(run(app, "letters", "reprint", 999, "IPP004", "--out", tmp_path / "x.pdf"), "no breach 999")

    references = [row["reference"] for row in manifest]
    bad = tmp_path / "bad.csv"
    bad.write_text("reference\n" + references[0] + "\nVIO-2026-0001-0000000-0\n", encoding="utf-8")
    result = run(app, "letters", "track", breach.id, bad)
    one_error_line(result, "1 problem(s) in bad.csv: nothing was applied")
    assert "line 3: VIO-2026-0001-0000000-0: malformed reference" in result.stdout
    good = tmp_path / "npai.csv"
    good.write_text("reference;date\n" + "\n".join(f"{ref};2026-04-03" for ref in references[:4]), encoding="utf-8")
    result = run(app, "letters", "track", breach.id, good)
    assert result.exit_code == 0 and "updated 4 row(s): returned 4" in result.stdout
    assert "letters: generated 6, returned 4" in run(app, "letters", "status", breach.id).stdout


def test_the_public_notice_command_writes_a_pdf(app, breach, approved, tmp_path, helpers):
    result = run(app, "letters", "notice", breach.id, "--out", tmp_path / "avis.pdf", "--lang", "fr")
    assert result.exit_code == 0, result.output
    assert "Avis public" in helpers.pdf_text((tmp_path / "avis.pdf").read_bytes())


def test_the_benchmark_runs_the_real_path_and_compares_it_with_naive_weasyprint(app, tmp_path):
    result = run(app, "bench", "letters", "--patients", "12", "--workers", "1", "--lot-size", "5",
                 "--baseline-sample", "2")
    assert result.exit_code == 0, result.output
    figures = dict(line.split(None, 1) for line in result.stdout.strip().splitlines())
    assert figures["patients"] == "12" and figures["lots"] == "3" and figures["naive_sample"] == "2"
    for key in ("fast_letters_per_second", "naive_letters_per_second", "speedup", "pdf_bytes_per_letter",
                "peak_rss_parent_mib", "peak_rss_worker_mib"):
        assert float(figures[key]) > 0, key


def test_bad_arguments_exit_2_with_one_error_line(app, breach, tmp_path):
    one_error_line(run(app, "letters", "generate", breach.id, "--out", tmp_path, "--lot-size", "0"), "--lot-size")
    one_error_line(run(app, "letters", "generate", breach.id), "Missing option '--out'")
    one_error_line(run(app, "letters", "generate", breach.id, "--out", tmp_path), "No letter template")
    one_error_line(run(app, "letters", "frobnicate"), "No such command")
