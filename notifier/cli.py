"""The `notifier` command: a Flask CLI group over the app factory (run, db upgrade, routes...) plus each feature's
own commands (`<feature>/cli.py`, thin wrappers over its services and rules)."""

import click
from flask import Flask
from flask.cli import FlaskGroup


def _create_app():
    from notifier import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """notifier: personal-data breach notification (CNIL clock, risk, reports, patient letters)."""


def register_commands(app: Flask) -> None:
    from notifier.accounts import cli as accounts
    from notifier.audit import cli as audit
    from notifier.backup import cli as backup
    from notifier.bench import cli as bench
    from notifier.breaches import cli as breaches
    from notifier.cases import cli as cases
    from notifier.letters import cli as letters
    from notifier.patients import cli as patients
    from notifier.register import cli as register
    from notifier.reports import cli as reports
    from notifier.risk import cli as risk

    for feature in (accounts, breaches, risk, reports, register, patients, letters, audit, bench, backup):
        for command in feature.COMMANDS:
            app.cli.add_command(command)
    for command in cases.COMMANDS:
        app.cli.add_command(command)


if __name__ == "__main__":
    main()
