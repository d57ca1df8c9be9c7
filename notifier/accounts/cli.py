"""`notifier user add|password|unlock` and `notifier demo`: accounts from the command line. Messages in the
language of ``cli_language()`` (NOTIFIER_LANG, else the locale); the password line keeps its place for scripts."""

import sys

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from notifier.accounts.models import User
from notifier.accounts.roles import Role
from notifier.core.cli import fail
from notifier.core.i18n import N_, cli_language, translate
from notifier.extensions import db

SHOWN_ONCE = N_("mot de passe (affiché une seule fois)\u00a0: %(password)s")


def acting_user(email: str | None):
    """The account a command acts as: --user, or the organisation's only DPO."""
    lang = cli_language()
    if email:
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            fail(translate(N_("aucun compte %(email)s"), lang, email=email))
        return user
    dpos = db.session.scalars(select(User).where(User.role == Role.DPO, User.active.is_(True))).all()
    if len(dpos) != 1:
        fail(translate(N_("plusieurs comptes DPO, ou aucun\u00a0: dites lequel avec --user EMAIL"), lang))
    return dpos[0]


# --- users ----------------------------------------------------------------------------------------------------

@click.group("user")
def user_group():
    """Accounts."""


@user_group.command("add")
@click.argument("email")
@click.option("--role", type=click.Choice([role.value for role in Role]), required=True)
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
        password = users.generate_password(email, organisation.name)
    lang = cli_language()
    try:
        # Given by the operator or generated: either way the user chooses their own at first login.
        users.add_user(email, role, password, organisation=organisation, name=name, must_change_password=True)
    except users.AccountError as error:
        fail(error.message(lang))
    db.session.commit()
    click.echo(translate(N_("compte créé\u00a0: %(email)s (%(role)s)"), lang,
                         email=email.strip().lower(), role=role))
    if generated:
        click.echo(translate(SHOWN_ONCE, lang, password=password))


@user_group.command("password")
@click.argument("email")
@with_appcontext
def user_password(email):
    """Set a new generated password (printed once, to change at first login), unlock the account and end every
    session of it."""
    from notifier.accounts import services as users

    password = users.reset_password(acting_user(email))
    db.session.commit()
    click.echo(translate(SHOWN_ONCE, cli_language(), password=password))


@user_group.command("unlock")
@click.argument("email")
@with_appcontext
def user_unlock(email):
    """Lift the delay after failed passwords or second-factor codes (audited)."""
    from notifier.accounts import services as users

    user = acting_user(email)
    users.unlock(user)
    db.session.commit()
    click.echo(translate(N_("compte débloqué\u00a0: %(email)s"), cli_language(), email=user.email))


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
        fail(translate(N_("aucune organisation pour l'instant\u00a0: donnez --organisation NOM (ou lancez "
                          "`notifier demo`)"),
                       cli_language()))
    fail(translate(N_("plusieurs organisations\u00a0: précisez laquelle avec --organisation NOM"), cli_language()))


# --- demo -----------------------------------------------------------------------------------------------------

DEMO_EMAIL = "dpo@demo.notifier.local"


@click.command("demo")
@with_appcontext
def demo_command():
    """Create the demo organisation, establishment and DPO account (printing its password once)."""
    from notifier.accounts import services as users
    from notifier.accounts.models import User
    from notifier.accounts.organisations import Establishment, Organisation

    lang = cli_language()
    if db.session.scalar(select(User).where(User.email == DEMO_EMAIL)):
        click.echo(translate(N_("compte DPO de démonstration\u00a0: %(email)s (mot de passe affiché à sa "
                                "création\u00a0; `notifier user password %(email)s` en donne un nouveau)"), lang,
                             email=DEMO_EMAIL))
        return
    organisation = db.session.scalar(select(Organisation).where(Organisation.name == "Groupe Clinique Démo"))
    if organisation is None:
        organisation = Organisation(name="Groupe Clinique Démo")
        db.session.add(organisation)
        db.session.add(Establishment(
            organisation=organisation, name="Clinique du Parc (démo)", siren="123456782", finess="690000005",
            address="12 rue des Tilleuls, 69003 Lyon", dpo_name="Claire Martin", dpo_email="dpo@clinique-demo.fr",
            dpo_phone="04 72 00 00 00", legal_representative="Jean Dupont",
            legal_representative_title="Directeur général", nis2_in_scope=True,
        ))
        # The establishment of docs/examples/breach.json, so that the example imports as it is into the demo.
        db.session.add(Establishment(
            organisation=organisation, name="Groupe Clinique Rhône-Saône", siren="552100554", finess="690781232",
            address="4 quai Perrache, 69002 Lyon", dpo_name="Claire Martin", dpo_email="dpo@clinique-demo.fr",
            dpo_phone="04 72 00 00 00", legal_representative="Jean Dupont",
            legal_representative_title="Directeur général", nis2_in_scope=True,
        ))
        db.session.flush()
    password = users.generate_password(DEMO_EMAIL, organisation.name)
    users.add_user(DEMO_EMAIL, Role.DPO, password, organisation=organisation, name="Claire Martin (démo)",
                   must_change_password=True)
    db.session.commit()
    click.echo(translate(N_("compte DPO de démonstration\u00a0: %(email)s"), lang, email=DEMO_EMAIL))
    click.echo(translate(SHOWN_ONCE, lang, password=password))


COMMANDS = [user_group, demo_command]
