"""The ``notifier`` command: a Flask CLI group over the app factory (run, db upgrade, routes...) plus the
project's own commands, thin wrappers over services and domain."""

import json
import sys
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from notifier.extensions import db


def _create_app():
    from notifier import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """notifier: personal-data breach notification (CNIL clock, risk, reports, patient letters)."""


def register_commands(app: Flask) -> None:
    for command in (user_group, breach_group, demo_command):
        app.cli.add_command(command)
    for name in ("deadline", "assess", "report", "register", "patients", "letters", "audit", "bench", "backup"):
        _add_optional(app, name)


def _add_optional(app: Flask, name: str) -> None:
    """Commands of later features live next to their service, in notifier/commands/<name>.py."""
    import importlib

    try:
        module = importlib.import_module(f"notifier.commands.{name}")
    except ModuleNotFoundError as error:
        if error.name != f"notifier.commands.{name}":
            raise
        return
    commands = getattr(module, "COMMANDS", None) or [getattr(module, f"{name}_command")]
    for command in commands:
        app.cli.add_command(command)


def fail(message: str, status: int = 2):
    """One line on stderr and a non-zero exit, the contract of every command."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def acting_user(email: str | None):
    """The account a command acts as: --user, or the organisation's only DPO."""
    from notifier.models import User

    if email:
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            fail(f"no account {email}")
        return user
    dpos = db.session.scalars(select(User).where(User.role == "dpo", User.active.is_(True))).all()
    if len(dpos) != 1:
        fail("several or no DPO accounts: say which with --user EMAIL")
    return dpos[0]


# --- users ----------------------------------------------------------------------------------------------------

@click.group("user")
def user_group():
    """Accounts."""


@user_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice(["dpo", "legal", "viewer", "admin"]), required=True)
@click.option("--name", default="")
@click.option("--organisation", "organisation_name", default=None, help="Name; default: the only organisation.")
@with_appcontext
def user_add(email, role, name, organisation_name):
    """Create an account. The password is read from standard input when one is piped in, otherwise generated and
    printed once."""
    from notifier.services import users

    organisation = _organisation(organisation_name)
    password = None
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n") or None
    generated = password is None
    if generated:
        password = users.generate_password()
    try:
        users.add_user(email, role, password, organisation=organisation, name=name)
    except ValueError as error:
        fail(str(error))
    click.echo(f"created {email.strip().lower()} ({role})")
    if generated:
        click.echo(f"password (shown once): {password}")


@user_group.command("password")
@click.argument("email")
@with_appcontext
def user_password(email):
    """Set a new generated password (printed once) and unlock the account."""
    from notifier.services import audit, users

    user = acting_user(email)
    password = users.generate_password()
    user.set_password(password)
    user.failed_logins, user.locked_until = 0, None
    audit.record("user.password_reset", obj=user, organisation_id=user.organisation_id)
    db.session.commit()
    click.echo(f"password (shown once): {password}")


def _organisation(name: str | None):
    from notifier.models import Organisation

    organisations = db.session.scalars(select(Organisation)).all()
    if name:
        found = [o for o in organisations if o.name == name]
        if not found:
            organisation = Organisation(name=name)
            db.session.add(organisation)
            db.session.flush()
            return organisation
        return found[0]
    if len(organisations) == 1:
        return organisations[0]
    if not organisations:
        fail("no organisation yet: give --organisation NAME (or run `notifier demo`)")
    fail("several organisations: say which with --organisation NAME")


# --- demo -----------------------------------------------------------------------------------------------------

DEMO_EMAIL = "dpo@demo.notifier.local"


@click.command("demo")
@with_appcontext
def demo_command():
    """Create the demo organisation, establishment and DPO account (printing its password once)."""
    from notifier.models import Establishment, Organisation, User
    from notifier.services import users

    if db.session.scalar(select(User).where(User.email == DEMO_EMAIL)):
        click.echo(f"demo DPO account: {DEMO_EMAIL} (password shown at creation; "
                   f"`notifier user password {DEMO_EMAIL}` sets a new one)")
        return
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == "Groupe Clinique Démo"))
    if organisation is None:
        organisation = Organisation(name="Groupe Clinique Démo")
        db.session.add(organisation)
        db.session.add(Establishment(
            organisation=organisation, name="Clinique du Parc (démo)", siren="123456789", finess="690000001",
            address="12 rue des Tilleuls, 69003 Lyon", dpo_name="Claire Martin", dpo_email="dpo@clinique-demo.fr",
            dpo_phone="04 72 00 00 00", legal_representative="Jean Dupont",
            legal_representative_title="Directeur général", nis2_in_scope=True,
        ))
        # The establishment of docs/examples/breach.json, so that the example imports as it is into the demo.
        db.session.add(Establishment(
            organisation=organisation, name="Groupe Clinique Rhône-Saône", siren="552100554", finess="690781234",
            address="4 quai Perrache, 69002 Lyon", dpo_name="Claire Martin", dpo_email="dpo@clinique-demo.fr",
            dpo_phone="04 72 00 00 00", legal_representative="Jean Dupont",
            legal_representative_title="Directeur général", nis2_in_scope=True,
        ))
        db.session.flush()
    password = users.generate_password()
    users.add_user(DEMO_EMAIL, "dpo", password, organisation=organisation, name="Claire Martin (démo)")
    click.echo(f"demo DPO account: {DEMO_EMAIL}")
    click.echo(f"password (shown once): {password}")


# --- breaches -------------------------------------------------------------------------------------------------

@click.group("breach")
def breach_group():
    """Breach records: JSON import and export (docs/breach-format.md)."""


@breach_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--user", "email", default=None, help="Account recorded as author (default: the only DPO).")
@with_appcontext
def breach_import(file: Path, email):
    """Create a breach from FILE.json; prints the new id alone on the last line."""
    from notifier.domain.breach_form import BreachDocumentError
    from notifier.services import breaches

    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        fail(f"cannot read {file}: {error}")
    except json.JSONDecodeError as error:
        fail(f"{file} is not JSON: line {error.lineno} column {error.colno}: {error.msg}")
    user = acting_user(email)
    try:
        breach = breaches.import_document(doc, user)
    except BreachDocumentError as error:
        db.session.rollback()
        for path, message in error.problems:
            click.echo(f"{path}: {message}", err=True)
        fail(f"{len(error.problems)} problem(s): nothing was created")
    click.echo(f"created breach {breach.reference}")
    click.echo(breach.id)


@breach_group.command("export")
@click.argument("breach_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def breach_export(breach_id: int, out: Path | None):
    """Write the breach as a JSON document (stdout, or --out FILE)."""
    from notifier.models import Breach
    from notifier.services import audit, breaches

    breach = db.session.get(Breach, breach_id)
    if breach is None:
        fail(f"no breach {breach_id}")
    body = json.dumps(breaches.export_document(breach), ensure_ascii=False, indent=2)
    audit.record("breach.export", obj=breach, details={"format": "json", "via": "cli"})
    db.session.commit()
    if out:
        out.write_text(body + "\n", encoding="utf-8")
    else:
        click.echo(body)


if __name__ == "__main__":
    main()
