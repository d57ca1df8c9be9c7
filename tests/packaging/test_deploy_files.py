"""The production files of docs/deploy/ start what the package has: the systemd units' commands exist, and the
settings of notifier.env.example are settings the app reads (README.md, "Production")."""

import importlib
import importlib.util
import re
import shlex
from pathlib import Path

import pytest

from notifier.config import Defaults

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy"
UNITS = sorted(DEPLOY.glob("*.service"))


def exec_start(unit: Path) -> list[str]:
    (line,) = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    return shlex.split(line.removeprefix("ExecStart="))


def test_there_is_a_unit_for_the_web_process_the_workers_and_a_timer_for_the_scheduled_commands():
    assert {unit.name for unit in UNITS} >= {"notifier-web.service", "notifier-worker.service",
                                              "notifier-audit-verify.service"}
    timer = (DEPLOY / "notifier-audit-verify.timer").read_text()
    assert "OnCalendar=" in timer and "Persistent=true" in timer


def test_gunicorn_serves_the_installed_packages_entry_point_with_the_repositorys_settings():
    command = exec_start(DEPLOY / "notifier-web.service")
    assert Path(command[0]).name == "gunicorn"
    assert Path(command[command.index("-c") + 1]).name == "gunicorn.conf.py"
    module, _, attribute = command[-1].partition(":")
    assert (module, attribute) == ("notifier.wsgi", "app")
    assert importlib.util.find_spec(module) is not None  # not imported: that would create an app here


def test_the_workers_start_the_celery_app_of_the_letter_jobs():
    command = exec_start(DEPLOY / "notifier-worker.service")
    assert Path(command[0]).name == "celery" and "worker" in command
    module = importlib.import_module(command[command.index("-A") + 1])
    assert module.celery.main == "notifier"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_scheduled_command_is_a_notifier_command(app):
    command = exec_start(DEPLOY / "notifier-audit-verify.service")
    assert Path(command[0]).name == "notifier"
    result = app.test_cli_runner().invoke(args=[*command[1:], "--help"])
    assert result.exit_code == 0, result.output


def test_the_example_environment_sets_only_settings_the_app_reads():
    names = re.findall(r"^NOTIFIER_([A-Z0-9_]+)=", (DEPLOY / "notifier.env.example").read_text(), re.MULTILINE)
    assert "SECRET_KEY" in names and "DATABASE_URL" in names
    read = {name for name in dir(Defaults) if name.isupper()} | {"INSTANCE_PATH"}
    assert set(names) <= read, set(names) - read
