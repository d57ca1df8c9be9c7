"""`notifier register export --format csv|xlsx|pdf --out FILE [--establishment ID] [--year N] [--status S]`.

The breach register (GDPR art. 33(5)) through services.register.export, the same function as the web page.
Unusable input: exit 2 with one `error:` line."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from notifier.breaches.states import BreachStatus
from notifier.core.cli import Command, Group, cli_text, fail, write_output
from notifier.core.i18n import N_


@click.group("register", cls=Group)
def register_group():
    """The breach register (GDPR art. 33(5))."""


@register_group.command("export", cls=Command)
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "pdf"]), required=True)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--establishment", "establishment_id", type=int, default=None, help="Only this establishment (id).")
@click.option("--year", type=click.IntRange(1900, 9999), default=None, help="Year of awareness (Paris time).")
@click.option("--status", type=click.Choice([status.value for status in BreachStatus]), default=None)
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@with_appcontext
def export_command(fmt, out: Path, establishment_id, year, status, lang):
    """Write the register, every breach notified or not, as CSV, XLSX or PDF/A-3."""
    from notifier.accounts.organisations import Establishment, Organisation
    from notifier.extensions import db
    from notifier.register import services as service

    organisation_id = None
    if establishment_id is not None:
        establishment = db.session.get(Establishment, establishment_id)
        if establishment is None:
            fail(cli_text(N_("aucun établissement %(id)s"), id=establishment_id))
        organisation_id = establishment.organisation_id
    else:
        organisations = db.session.scalars(select(Organisation)).all()
        if len(organisations) > 1:
            fail(cli_text(N_("plusieurs organismes\u00a0: indiquez l'établissement avec --establishment ID")))
        organisation_id = organisations[0].id if organisations else None
    if out.parent and not out.parent.is_dir():
        fail(cli_text(N_("dossier introuvable\u00a0: %(path)s"), path=out.parent))
    organisation = db.session.get(Organisation, organisation_id) if organisation_id is not None else None
    filters = service.Filters(establishment_id=establishment_id, year=year, status=status)
    data = service.download(fmt, organisation_id, filters, via="cli", lang=lang,
                            organisation=organisation.name if organisation else "",
                            period_hours=current_app.config["CNIL_PERIOD_HOURS"])
    write_output(out, data)
    db.session.commit()
    click.echo(cli_text(N_("%(path)s écrit"), path=out))


COMMANDS = [register_group]
