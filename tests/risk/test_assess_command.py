"""`notifier assess FILE.json`: the contract of docs/risk-method.md (JSON keys, languages, exit status)."""

import json

import click
import pytest
from click.testing import CliRunner

from notifier.risk.cli import assess_command
from notifier.risk.rules.engine import facts_template


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests read the English messages (NOTIFIER_LANG=en); French is the default (tests/core/test_i18n.py)."""
    monkeypatch.setenv("NOTIFIER_LANG", "en")

STOLEN_LAPTOP = {
    # EDPB Guidelines 01/2021, case 11: an unencrypted laptop with 100,000 customers' identities is stolen.
    "data_types": ["civil_status", "contact"], "identifiability": "maximum",
    "confidentiality": "unknown_recipients", "integrity": "none", "availability": "recovered_easily",
    "availability_hours": None, "malicious": True, "people_count": 100_000, "people_categories": ["customers"],
    "unintelligible": False, "recipient_trusted": False, "risk_neutralised": False,
    "disproportionate_effort": False, "care_disrupted": False,
}


def write(tmp_path, content) -> str:
    path = tmp_path / "facts.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return str(path)


def run(*args, stdin: str | None = None):
    return CliRunner().invoke(assess_command, list(args), input=stdin)


def test_is_a_click_command_named_assess():
    assert isinstance(assess_command, click.Command) and assess_command.name == "assess"


def test_json_verdict(tmp_path):
    result = run(write(tmp_path, STOLEN_LAPTOP), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["severity_score"] == 3.0 and isinstance(data["severity_score"], float)
    assert (data["severity"], data["notify_authority"], data["inform_subjects"]) == ("high", True, True)
    assert data["exceptions"] == [] and data["public_communication_required"] is False
    assert all(isinstance(reason, str) for reason in data["reasons"]) and data["reasons"]
    assert data["parts"]["dpc"]["adjustments"][0]["code"] == "large_volume"
    assert data["rules_applied"] == ["large_volume"]


def test_json_lists_the_exceptions_that_apply(tmp_path):
    facts = {**STOLEN_LAPTOP, "unintelligible": True, "people_count": 40}
    data = json.loads(run(write(tmp_path, facts), "--json").stdout)
    assert (data["notify_authority"], data["inform_subjects"], data["exceptions"]) == (False, False, ["34.3.a"])


def test_reasons_in_french_on_request(tmp_path):
    data = json.loads(run(write(tmp_path, STOLEN_LAPTOP), "--json", "--lang", "fr").stdout)
    assert data["lang"] == "fr"
    assert any("RGPD" in reason for reason in data["reasons"])


def test_readable_summary(tmp_path):
    result = run(write(tmp_path, STOLEN_LAPTOP))
    assert result.exit_code == 0
    assert "Severity (ENISA 2013):" in result.stdout and "3 (High)" in result.stdout
    assert "Notify the CNIL (art. 33):" in result.stdout and "Tell each person (art. 34):" in result.stdout
    assert "GDPR art. 34(1)" in result.stdout


@pytest.fixture
def french_locale(monkeypatch):
    """No NOTIFIER_LANG and a locale that names no language: the messages are French, the source language."""
    monkeypatch.delenv("NOTIFIER_LANG", raising=False)
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def test_summary_and_errors_are_french_without_a_language_setting(tmp_path, french_locale):
    result = run(write(tmp_path, STOLEN_LAPTOP))
    assert result.exit_code == 0
    assert "Gravité (ENISA 2013):" in result.stdout and "3 (Élevée)" in result.stdout
    assert "Informer chaque personne (art. 34):" in result.stdout and "art. 34(1) du RGPD" in result.stdout
    assert "Severity" not in result.stdout and "GDPR" not in result.stdout
    facts = {**STOLEN_LAPTOP, "data_types": ["civil_status", "contact", "helth"]}
    result = run(write(tmp_path, facts))
    assert (result.exit_code, result.stderr) == (2, "error: data_types[2]: code inconnu 'helth'\n")


def test_lang_option_wins_over_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("NOTIFIER_LANG", "fr")
    data = json.loads(run(write(tmp_path, STOLEN_LAPTOP), "--json", "--lang", "en").stdout)
    assert data["lang"] == "en" and any("GDPR" in reason for reason in data["reasons"])


def test_reads_standard_input():
    result = run("-", "--json", stdin=json.dumps(facts_template()))
    assert result.exit_code == 0
    assert json.loads(result.stdout)["severity"] == "very_high"


def test_unknown_code_exits_2_naming_the_field(tmp_path):
    facts = {**STOLEN_LAPTOP, "data_types": ["civil_status", "contact", "helth"]}
    result = run(write(tmp_path, facts), "--json")
    assert result.exit_code == 2
    assert result.stderr == "error: data_types[2]: unknown code 'helth'\n"
    assert result.stdout == ""


def test_every_invalid_field_is_named_one_per_line(tmp_path):
    facts = {key: value for key, value in STOLEN_LAPTOP.items() if key != "malicious"}
    facts.update(people_count="many", notes="unknown key")
    result = run(write(tmp_path, facts), "--json")
    assert result.exit_code == 2
    assert sorted(result.stderr.splitlines()) == [
        "error: malicious: required field missing",
        "error: notes: unknown field (custom fields must start with 'x_')",
        "error: people_count: must be a whole number, not string",
    ]


def test_custom_and_documented_optional_keys_are_accepted(tmp_path):
    facts = {**STOLEN_LAPTOP, "x_ticket": "INC-4411", "discovered_by_authority": True}
    data = json.loads(run(write(tmp_path, facts), "--json").stdout)
    assert (data["notify_authority"], data["inform_subjects"]) == (False, True)


def test_bad_json_exits_2_with_one_line(tmp_path):
    result = run(write(tmp_path, '{"data_types": ['), "--json")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "invalid JSON at line 1" in result.stderr


def test_nan_is_not_json(tmp_path):
    result = run(write(tmp_path, json.dumps(STOLEN_LAPTOP).replace("null", "NaN")), "--json")
    assert (result.exit_code, result.stderr.count("\n")) == (2, 1)


def test_unreadable_file_exits_2_with_one_line(tmp_path):
    result = run(str(tmp_path / "missing.json"), "--json")
    assert result.exit_code == 2
    assert result.stderr == f"error: {tmp_path / 'missing.json'}: cannot read the file: No such file or directory\n"


def test_document_that_is_not_an_object_exits_2(tmp_path):
    result = run(write(tmp_path, "[1, 2]"))
    assert (result.exit_code, result.stderr) == (2, "error: (document): must be a JSON object, not list\n")
