"""`notifier report ID --out FILE.pdf [--kind initial|complementary] [--lang fr|en] [--document D] [--user EMAIL]`.

Generates the next archived version of a breach's report (services.reports.generate, the same function as the web
page), writes it to FILE and prints its SHA-256 alone on the last line. Unusable input: exit 2, one `error:` line."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from notifier.core.cli import Command, fail, write_output
from notifier.reports.states import ReportDocument, ReportKind


@click.command("report", cls=Command)
@click.argument("breach_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The PDF to write.")
@click.option("--kind", type=click.Choice([kind.value for kind in ReportKind]), default=None,
              help="Default: complementary once the previous version was sent, initial before.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option("--document", type=click.Choice([document.value for document in ReportDocument]),
              default=ReportDocument.CNIL.value, show_default=True,
              help="CNIL notification, ARS / CERT Santé summary or a NIS2 stage.")
@click.option("--user", "email", default=None, help="Account recorded as author (default: the only DPO).")
@with_appcontext
def report_command(breach_id: int, out: Path, kind, lang, document, email):
    """Generate the next version of a breach's report (PDF/A-3, its JSON record attached)."""
    from notifier.breaches.access import breach_and_user_or_fail
    from notifier.extensions import db
    from notifier.reports import services as reports

    breach, user = breach_and_user_or_fail(breach_id, email)
    if not user.can("report.generate"):
        fail(f"{user.email} ({user.role}) may not generate reports")
    if out.parent and not out.parent.is_dir():
        fail(f"no such directory: {out.parent}")
    try:
        version = reports.generate(breach, user=user, document=document, kind=kind, lang=lang,
                                   period_hours=current_app.config["CNIL_PERIOD_HOURS"])
    except reports.ReportError as error:
        db.session.rollback()
        fail(error.message("en"))
    write_output(out, reports.read_version(version))
    click.echo(f"wrote {out}: {breach.reference} {document} version {version.number} ({version.kind}, {version.lang})")
    click.echo(version.sha256)


COMMANDS = [report_command]
