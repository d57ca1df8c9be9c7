"""`notifier user add|password` and `notifier demo`: accounts from the command line."""

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from notifier.accounts.models import User
from notifier.core.cli import fail
from notifier.extensions import db


def acting_user(email: str | None):
    """The account a command acts as: --user, or the organisation's only DPO."""
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
    from notifier.accounts import services as users

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
    db.session.commit()
    click.echo(f"created {email.strip().lower()} ({role})")
    if generated:
        click.echo(f"password (shown once): {password}")


@user_group.command("password")
@click.argument("email")
@with_appcontext
def user_password(email):
    """Set a new generated password (printed once) and unlock the account."""
    from notifier.accounts import services as users

    user = acting_user(email)
    password = users.reset_password(user)
    db.session.commit()
    click.echo(f"password (shown once): {password}")


def _organisation(name: str | None):
    from notifier.accounts.organisations import Organisation

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
    from notifier.accounts import services as users
    from notifier.accounts.models import User
    from notifier.accounts.organisations import Establishment, Organisation

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
    db.session.commit()
    click.echo(f"demo DPO account: {DEMO_EMAIL}")
    click.echo(f"password (shown once): {password}")


COMMANDS = [user_group, demo_command]
