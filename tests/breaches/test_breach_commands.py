"""`notifier user add`, `notifier breach import` and `notifier breach export`, as an operator runs them."""

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def english_messages(monkeypatch):
    """These tests read the English messages (NOTIFIER_LANG=en); French is the default (tests/core/test_i18n.py)."""
    monkeypatch.setenv("NOTIFIER_LANG", "en")


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def test_user_add_with_a_piped_password(runner, organisation):
    from notifier.accounts.models import User

    result = runner.invoke(args=["user", "add", "Legal@Lilas.test", "--role", "legal"],
                           input="a long enough passphrase\n")
    assert result.exit_code == 0, result.output
    assert "password (shown once)" not in result.output
    user = User.query.filter_by(email="legal@lilas.test").one()
    assert user.role == "legal" and user.check_password("a long enough passphrase")


def test_user_add_generates_and_prints_a_password_once(runner, organisation, monkeypatch):
    from notifier.accounts.models import User

    result = runner.invoke(args=["user", "add", "v@lilas.test", "--role", "viewer"], input="")
    assert result.exit_code == 0, result.output
    password = result.output.split("password (shown once): ")[1].strip()
    assert User.query.filter_by(email="v@lilas.test").one().check_password(password)


def test_user_add_refuses_a_short_password(runner, organisation):
    result = runner.invoke(args=["user", "add", "x@lilas.test", "--role", "dpo"], input="short\n")
    assert result.exit_code == 2 and "at least 12 characters" in result.output


@pytest.fixture
def french_locale(monkeypatch):
    """No NOTIFIER_LANG and a locale that names no language: the messages are French, the source language."""
    monkeypatch.delenv("NOTIFIER_LANG", raising=False)
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def test_account_and_import_messages_are_french_without_a_language_setting(runner, organisation, dpo,
                                                                           establishment, tmp_path, french_locale):
    result = runner.invoke(args=["user", "add", "f@lilas.test", "--role", "viewer"], input="")
    assert result.exit_code == 0, result.output
    assert "compte créé\u00a0: f@lilas.test (viewer)" in result.output
    assert "mot de passe (affiché une seule fois)\u00a0: " in result.output
    result = runner.invoke(args=["user", "add", "g@lilas.test", "--role", "dpo"], input="short\n")
    assert result.exit_code == 2 and "error: Le mot de passe doit compter au moins 12 caractères." in result.output
    doc = json.loads((ROOT / "docs/examples/breach.json").read_text(encoding="utf-8"))
    doc["establishment"] = {"name": establishment.name, "siren": None, "finess": establishment.finess}
    source = tmp_path / "breach.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(args=["breach", "import", str(source), "--user", dpo.email])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[-2].startswith("violation créée\u00a0: VIO-") and lines[-1].isdigit()


def test_import_prints_the_id_last_and_export_round_trips(runner, dpo, establishment, tmp_path):
    doc = json.loads((ROOT / "docs/examples/breach.json").read_text(encoding="utf-8"))
    doc["establishment"] = {"name": establishment.name, "siren": None, "finess": establishment.finess}
    source = tmp_path / "breach.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(args=["breach", "import", str(source)])
    assert result.exit_code == 0, result.output
    breach_id = result.output.strip().splitlines()[-1]
    assert breach_id.isdigit()
    out = tmp_path / "out.json"
    result = runner.invoke(args=["breach", "export", breach_id, "--out", str(out)])
    assert result.exit_code == 0, result.output
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["sections"] == doc["sections"]
    assert exported["risk_facts"] == doc["risk_facts"]


def test_import_of_a_bad_document_names_the_fields_and_creates_nothing(runner, dpo, establishment, tmp_path):
    from notifier.breaches.models import Breach

    doc = json.loads((ROOT / "docs/examples/breach.json").read_text(encoding="utf-8"))
    doc["establishment"]["finess"] = establishment.finess
    doc["sections"]["people"]["people_count"] = "beaucoup"
    doc["sections"]["origin"]["cause"] = "gremlins"
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    result = runner.invoke(args=["breach", "import", str(source)])
    assert result.exit_code == 2
    assert "sections/people/people_count" in result.output and "sections/origin/cause" in result.output
    assert Breach.query.count() == 0


def test_import_of_a_file_that_is_not_json(runner, dpo, tmp_path):
    source = tmp_path / "bad.json"
    source.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["breach", "import", str(source)])
    assert result.exit_code == 2 and "is not JSON" in result.output


def test_demo_creates_an_account_and_prints_its_password_once(runner, app):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0 and "password (shown once)" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0 and "password (shown once)" not in second.output


def test_the_example_document_imports_into_the_demo_as_it_is(runner, app):
    assert runner.invoke(args=["demo"]).exit_code == 0
    result = runner.invoke(args=["breach", "import", str(ROOT / "docs/examples/breach.json")])
    assert result.exit_code == 0, result.output
    from notifier.breaches.models import Breach
    from notifier.extensions import db

    breach = db.session.get(Breach, int(result.output.strip().splitlines()[-1]))
    assert breach.establishment.name == "Groupe Clinique Rhône-Saône"
