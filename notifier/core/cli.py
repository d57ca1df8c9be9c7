"""What every `notifier` command shares: the one-line `error:` contract (exit 2), usage errors in the same
form, and writing an --out file (the account a command acts as: accounts/cli.py, acting_user)."""

import sys

import click

from notifier.core.errors import Refusal
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


def write_output(out, data: bytes) -> None:
    """Write a command's --out file, or fail with one line saying why."""
    try:
        out.write_bytes(data)
    except OSError as error:
        fail(cli_text(N_("impossible d'écrire %(path)s\u00a0: %(reason)s"), path=out, reason=error.strerror))


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
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except Refusal as error:  # e.g. a change to a closed breach: every command says so the same way
            db.session.rollback()
            message = error.message(cli_language())
            fail(f"{error.reference}: {message}" if error.reference else message)


class Group(OneLineErrors, click.Group):
    pass
