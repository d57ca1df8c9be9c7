"""`notifier report ID --out FILE.pdf [--kind initial|complementary] [--lang fr|en] [--document D] [--user EMAIL]`.

Generates the next archived version of a breach's report (services.reports.generate, the same function as the web
page), writes it to FILE and prints its SHA-256 alone on the last line. Unusable input: exit 2, one `error:` line."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from notifier.core.cli import Command, acting_user, cli_text, fail
from notifier.core.i18n import N_, cli_language

DOCUMENT_CHOICES = ("cnil", "ars", "nis2_early_warning", "nis2_notification", "nis2_final_report")


@click.command("report", cls=Command)
@click.argument("breach_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The PDF to write.")
@click.option("--kind", type=click.Choice(["initial", "complementary"]), default=None,
              help="Default: complementary once the previous version was sent, initial before.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option("--document", type=click.Choice(DOCUMENT_CHOICES), default="cnil", show_default=True,
              help="CNIL notification, ARS / CERT Santé summary or a NIS2 stage.")
@click.option("--user", "email", default=None, help="Account recorded as author (default: the only DPO).")
@with_appcontext
def report_command(breach_id: int, out: Path, kind, lang, document, email):
    """Generate the next version of a breach's report (PDF/A-3, its JSON record attached)."""
    from notifier.breaches.models import Breach
    from notifier.extensions import db
    from notifier.reports import services as reports

    breach = db.session.get(Breach, breach_id)
    if breach is None:
        fail(cli_text(N_("aucune violation %(id)s"), id=breach_id))
    user = acting_user(email)
    if user.organisation_id != breach.organisation_id:
        fail(cli_text(N_("%(email)s n'appartient pas à l'organisme de la violation %(id)s"), email=user.email,
                      id=breach_id))
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
    try:
        out.write_bytes(reports.read_version(version))
    except OSError as error:
        fail(cli_text(N_("impossible d'écrire %(path)s\u00a0: %(reason)s"), path=out, reason=error.strerror))
    click.echo(cli_text(N_("%(path)s écrit\u00a0: %(reference)s %(document)s version %(number)s "
                           "(%(kind)s, %(language)s)"),
                        path=out, reference=breach.reference, document=document, number=version.number,
                        kind=version.kind, language=version.lang))
    click.echo(version.sha256)


COMMANDS = [report_command]
