"""`notifier report ID --out FILE.pdf [--kind] [--lang] [--user]`: writes the report, prints its SHA-256 alone on the
last line; a bad id or bad arguments exit 2 with one `error:` line."""

import hashlib

import pytest

from notifier.reports.models import ReportVersion


def run(app, *args):
    return app.test_cli_runner(env={"NOTIFIER_LANG": "en"}).invoke(args=["report", *map(str, args)])  # in English


def test_the_command_writes_the_report_and_prints_its_hash(app, example_breach, tmp_path, pdf):
    out = tmp_path / "cnil.pdf"
    result = run(app, example_breach.id, "--out", out)
    assert result.exit_code == 0, result.output
    digest = result.stdout.strip().splitlines()[-1]
    assert digest == hashlib.sha256(out.read_bytes()).hexdigest()
    version = ReportVersion.query.one()
    assert (version.sha256, version.kind, version.lang, version.document) == (digest, "initial", "fr", "cnil")
    assert "Notification à la CNIL" in pdf.text(out.read_bytes())


def test_options_kind_lang_and_user(app, example_breach, legal, tmp_path, pdf):
    assert run(app, example_breach.id, "--out", tmp_path / "1.pdf").exit_code == 0
    result = run(app, example_breach.id, "--out", tmp_path / "2.pdf", "--kind", "complementary", "--lang", "en",
                 "--user", legal.email)
    assert result.exit_code == 0, result.output
    version = ReportVersion.query.filter_by(number=2).one()
    assert (version.kind, version.lang, version.generated_by_id) == ("complementary", "en", legal.id)
    assert "Changes since version 1" in pdf.text((tmp_path / "2.pdf").read_bytes())


@pytest.mark.parametrize(("args", "message"), [
    (["999999", "--out", "{out}"], "no breach 999999"),
    (["abc", "--out", "{out}"], "'abc' is not a valid integer"),
    (["{id}"], "Missing option '--out'"),
    (["{id}", "--out", "{out}", "--kind", "final"], "'final' is not one of"),
    (["{id}", "--out", "{out}", "--lang", "de"], "'de' is not one of"),
    (["{id}", "--out", "{out}", "--kind", "complementary"], "needs a previous one"),
    (["{id}", "--out", "{out}", "--user", "nobody@nowhere.test"], "no account nobody@nowhere.test"),
    (["{id}", "--out", "{out}", "--user", "viewer@lilas.test"], "may not generate reports"),
    (["{id}", "--out", "/nonexistent-dir/x.pdf"], "no such directory"),
    (["{id}", "--out", "{out}", "--colour", "red"], "No such option '--colour'"),
])
def test_bad_input_exits_2_with_one_error_line(app, example_breach, viewer, tmp_path, args, message):
    out = tmp_path / "x.pdf"
    result = run(app, *[a.format(id=example_breach.id, out=out) for a in args])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], lines
    assert not out.exists()
    assert ReportVersion.query.count() == 0


def test_a_report_command_says_what_it_wrote_in_french_and_ends_with_the_hash(app, example_breach, tmp_path):
    out = tmp_path / "cnil.pdf"
    runner = app.test_cli_runner(env={"NOTIFIER_LANG": "fr"})
    result = runner.invoke(args=["report", str(example_breach.id), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith(f"{out} écrit\u00a0: {example_breach.reference} cnil version 1")
    assert lines[-1] == hashlib.sha256(out.read_bytes()).hexdigest()
