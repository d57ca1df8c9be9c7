"""`notifier register export --format csv|xlsx|pdf --out FILE [--establishment ID] [--year N] [--status S]`."""

import csv
import io

import pytest


def run(app, *args):
    return app.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(args=["register", "export", *map(str, args)])


def test_export_as_csv_with_filters(app, two_breaches, tmp_path):
    notified, quiet = two_breaches
    out = tmp_path / "register.csv"
    result = run(app, "--format", "csv", "--out", out, "--year", "2026", "--status", "open",
                 "--establishment", notified.establishment_id)
    assert result.exit_code == 0, result.output
    table = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert [row[0] for row in table[1:]] == [notified.reference, quiet.reference]


@pytest.mark.parametrize("fmt", ["xlsx", "pdf"])
def test_export_as_xlsx_and_pdf(app, two_breaches, tmp_path, fmt):
    out = tmp_path / f"register.{fmt}"
    result = run(app, "--format", fmt, "--out", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] == (b"PK\x03\x04" if fmt == "xlsx" else b"%PDF")


@pytest.mark.parametrize(("args", "message"), [
    (["--format", "doc", "--out", "{out}"], "'doc' is not one of"),
    (["--out", "{out}"], "Missing option '--format'"),
    (["--format", "csv"], "Missing option '--out'"),
    (["--format", "csv", "--out", "{out}", "--status", "lost"], "'lost' is not one of"),
    (["--format", "csv", "--out", "{out}", "--year", "twenty"], "'twenty' is not a valid integer"),
    (["--format", "csv", "--out", "{out}", "--establishment", "999"], "no establishment 999"),
])
def test_bad_arguments_exit_2_with_one_error_line(app, two_breaches, tmp_path, args, message):
    out = tmp_path / "x.csv"
    result = run(app, *[a.format(out=out) for a in args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not out.exists()


def test_an_unknown_subcommand_is_one_error_line(app):
    result = app.test_cli_runner().invoke(args=["register", "print"])
    assert result.exit_code == 2 and result.stderr.strip().startswith("error: No such command")
