"""`notifier report ID --out FILE.pdf [--kind initial|complementary] [--lang fr|en] [--document D] [--user EMAIL]`.

Generates the next archived version of a breach's report (services.reports.generate, the same function as the web
page), writes it to FILE and prints its SHA-256 alone on the last line. Unusable input: exit 2, one `error:` line."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from notifier.core.cli import Command, cli_text, fail, write_output
from notifier.core.i18n import N_, cli_language
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
        fail(cli_text(N_("%(email)s (%(role)s) ne peut pas générer de rapports"), email=user.email, role=user.role))
    if out.parent and not out.parent.is_dir():
        fail(cli_text(N_("dossier introuvable\u00a0: %(path)s"), path=out.parent))
    try:
        version = reports.generate(breach, user=user, document=document, kind=kind, lang=lang,
                                   period_hours=current_app.config["CNIL_PERIOD_HOURS"])
    except reports.ReportError as error:
        db.session.rollback()
        fail(error.message(cli_language()))
    write_output(out, reports.read_version(version))
    click.echo(cli_text(N_("%(path)s écrit\u00a0: %(reference)s %(document)s version %(number)s "
                           "(%(kind)s, %(language)s)"),
                        path=out, reference=breach.reference, document=document, number=version.number,
                        kind=version.kind, language=version.lang))
    click.echo(version.sha256)


COMMANDS = [report_command]
