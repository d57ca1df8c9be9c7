"""Command-line messages speak the language of cli_language(): NOTIFIER_LANG, else the locale (LC_ALL, LC_MESSAGES,
LANG), else French. Only the message changes: the `error:` prefix, the exit code and the last-line hash do not."""

import pytest

from notifier.core.i18n import cli_language

LOCALE_VARIABLES = ("NOTIFIER_LANG", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.mark.parametrize(("environment", "expected"), [
    ({}, "fr"),
    ({"LANG": "C.UTF-8"}, "fr"),
    ({"LANG": "en_GB.UTF-8"}, "en"),
    ({"LANG": "en_GB.UTF-8", "LC_MESSAGES": "fr_FR.UTF-8"}, "fr"),
    ({"LC_MESSAGES": "fr_FR.UTF-8", "LC_ALL": "en_US.UTF-8"}, "en"),
    ({"LC_ALL": "en_US.UTF-8", "NOTIFIER_LANG": "fr"}, "fr"),
    ({"NOTIFIER_LANG": "de", "LANG": "en_US.UTF-8"}, "en"),
])
def test_the_language_comes_from_notifier_lang_then_the_locale_then_french(monkeypatch, environment, expected):
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert cli_language() == expected


def run(app, lang, *args):
    return app.test_cli_runner(env={"NOTIFIER_LANG": lang}).invoke(args=[*map(str, args)])


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_error_is_one_line_in_french_or_in_english_with_the_same_prefix_and_exit_code(app, tmp_path):
    french = run(app, "fr", "report", 999999, "--out", tmp_path / "x.pdf")
    english = run(app, "en", "report", 999999, "--out", tmp_path / "x.pdf")
    assert (french.exit_code, english.exit_code) == (2, 2)
    assert french.stderr.strip() == "error: aucune violation 999999"
    assert english.stderr.strip() == "error: no breach 999999"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_audit_commands_speak_french_by_default(app, tmp_path):
    verify = run(app, "fr", "audit", "verify")
    assert verify.exit_code == 0 and verify.stdout.startswith("journal d'audit intact\u00a0:"), verify.output
    out = tmp_path / "audit.pdf"
    export = run(app, "fr", "audit", "export", "--format", "pdf", "--out", out)
    assert export.exit_code == 0 and export.stdout.strip() == f"{out} écrit", export.output
