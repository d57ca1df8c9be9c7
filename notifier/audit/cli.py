"""`notifier audit verify` and `notifier audit export`."""

import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from notifier.core.cli import cli_text
from notifier.core.i18n import N_, cli_language


@click.group("audit")
def audit_group():
    """The hash-chained audit trail."""


@audit_group.command("verify")
@with_appcontext
def verify_command():
    """Recompute the chain; exit 1 naming the first tampered entry."""
    from notifier.audit import services as audit

    report = audit.verify()
    if report.intact:
        click.echo(cli_text(N_("journal d'audit intact\u00a0: %(count)s entrées"), count=report.entries))
        return
    click.echo(cli_text(N_("journal d'audit ROMPU à l'entrée %(id)s\u00a0: %(problem)s"), id=report.first_bad_id,
                        problem=report.problem), err=True)
    sys.exit(1)


@audit_group.command("export")
@click.option("--breach", "breach_id", type=int, default=None, help="Only this breach's entries.")
@click.option("--format", "fmt", type=click.Choice(["csv", "pdf"]), default="csv")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def export_command(breach_id, fmt, out: Path):
    """Write the trail (or one breach's part of it) as CSV or PDF/A."""
    from notifier.audit import export as audit_export
    from notifier.audit import services as audit
    from notifier.extensions import db

    data = audit_export.export(fmt, breach_id=breach_id, lang=cli_language())
    out.write_bytes(data)
    audit.record("audit.export", breach_id=breach_id, details={"format": fmt, "via": "cli"})
    db.session.commit()
    click.echo(cli_text(N_("%(path)s écrit"), path=out))


COMMANDS = [audit_group]
