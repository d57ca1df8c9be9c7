"""What every `notifier` command shares: the one-line `error:` contract (exit 2), usage errors in the same
form, and the account a command acts as."""

import sys

import click
from sqlalchemy import select

from notifier.core.i18n import N_, cli_language, translate
from notifier.extensions import db


def cli_text(message: str, **params) -> str:
    """A French msgid (marked with N_) in the language of command-line messages (cli_language()); the machine-read
    parts around it (`error:`, exit codes, last-line ids and hashes, JSON) never change with the language."""
    return translate(message, cli_language(), **params)


def fail(message: str, status: int = 2):
    """One line on stderr and a non-zero exit, the contract of every command."""
    click.echo(f"error: {message}", err=True)
    sys.exit(status)


def acting_user(email: str | None):
    """The account a command acts as: --user, or the organisation's only DPO."""
    from notifier.accounts.models import User

    if email:
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            fail(cli_text(N_("aucun compte %(email)s"), email=email))
        return user
    dpos = db.session.scalars(select(User).where(User.role == "dpo", User.active.is_(True))).all()
    if len(dpos) != 1:
        fail(cli_text(N_("plusieurs comptes DPO ou aucun\u00a0: indiquez lequel avec --user EMAIL")))
    return dpos[0]


class OneLineErrors:
    """Usage errors (unknown option, bad choice, missing value) as one `error:` line and exit 2, like every other
    error of the command, instead of click's usage block."""

    def parse_args(self, ctx, args):
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            fail(" ".join(error.format_message().split()))

    def resolve_command(self, ctx, args):
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as error:
            fail(" ".join(error.format_message().split()))


class Command(OneLineErrors, click.Command):
    pass


class Group(OneLineErrors, click.Group):
    pass
