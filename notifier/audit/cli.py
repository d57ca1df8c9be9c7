"""`notifier audit verify|checkpoint|rechain|export`."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from notifier.core.cli import cli_text
from notifier.core.i18n import N_, cli_language


@click.group("audit")
def audit_group():
    """The keyed, hash-chained audit trail and its signed checkpoints."""


@audit_group.command("verify")
@click.option("--public-key", "public_keys", multiple=True,
              type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Check the checkpoints' signatures with this copy of the public key (kept elsewhere); repeatable "
                   "(retired keys).")
@with_appcontext
def verify_command(public_keys: tuple[Path, ...]):
    """Recompute the keyed chain and hold it against the signed checkpoints; exit 1 naming the first bad entry."""
    from notifier.audit import keys
    from notifier.audit import services as audit
    from notifier.core.cli import fail

    try:
        trusted = [keys.load_public_key(path) for path in public_keys] or None
    except ValueError as error:
        fail(str(error))
    report = audit.verify(trusted)
    if report.intact:
        click.echo(cli_text(N_("journal d'audit intact\u00a0: %(count)s entrées"), count=report.entries))
        return
    click.echo(cli_text(N_("journal d'audit ROMPU à l'entrée %(id)s\u00a0: %(problem)s"), id=report.first_bad_id,
                        problem=report.problem_in(cli_language())), err=True)
    sys.exit(1)


@audit_group.command("checkpoint")
@with_appcontext
def checkpoint_command():
    """Sign the trail's head now, append it to the checkpoint file (and send it away if configured); print it."""
    from notifier.audit import checkpoints
    from notifier.core.cli import fail

    try:
        checkpoint = checkpoints.write("command")
    except (checkpoints.CheckpointError, OSError, ValueError) as error:
        fail(str(error))
    click.echo(checkpoint.line())


@audit_group.command("rechain")
@click.option("--i-understand", "understood", is_flag=True,
              help="Confirm: every entry's hash is recomputed with the keyed algorithm (docs/security.md).")
@click.option("--old-key-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), default=None,
              help="After a rotation of the chain key: the file holding the previous key.")
@with_appcontext
def rechain_command(understood: bool, old_key_file: Path | None):
    """One-off: re-hash a trail written by a version before the keyed chain (or under a previous chain key)."""
    from notifier.audit import services as audit
    from notifier.core.cli import fail
    from notifier.extensions import db

    if not understood:
        fail("rechain rewrites every hash of the audit trail: check `notifier audit verify` names only unkeyed "
             "entries, then run again with --i-understand")
    try:
        changed = audit.rechain(old_key=old_key_file.read_bytes().strip() if old_key_file else None)
    except audit.RechainRefused as error:
        db.session.rollback()
        fail(str(error), status=1)
    click.echo(f"audit trail re-chained: {changed} entries re-hashed, checkpoint written")


@audit_group.command("export")
@click.option("--breach", "breach_id", type=int, default=None, help="Only this breach's entries.")
@click.option("--format", "fmt", type=click.Choice(["csv", "pdf"]), default="csv")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export_command(breach_id, fmt, out: Path):
    """Write the trail (or one breach's part of it) as CSV or PDF/A."""
    from notifier.audit import export as audit_export
    from notifier.extensions import db

    data = audit_export.download(fmt, breach_id=breach_id, via="cli", lang=cli_language())
    out.write_bytes(data)
    db.session.commit()
    click.echo(cli_text(N_("%(path)s écrit"), path=out))


COMMANDS = [audit_group]
