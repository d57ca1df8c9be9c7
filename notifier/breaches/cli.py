"""`notifier deadline`: the CNIL, Regulation 1182/71, ARS and NIS2 deadlines for an awareness time.

A calculator over notifier.breaches.rules.deadlines; it needs no application, database or configuration. The contract
(options, JSON keys, exit status) is documented in docs/deadlines.md. Messages are in the language of
``cli_language()``; the `error:` prefix, the exit status, the JSON keys and the id on the last line never change."""

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from flask.cli import with_appcontext

from notifier.accounts.cli import acting_user
from notifier.breaches.rules import deadlines
from notifier.core.cli import fail
from notifier.core.formatting import format_datetime
from notifier.core.i18n import N_, cli_language, translate
from notifier.extensions import db


def _fail(message: str):
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


@click.command("deadline")
@click.option("--aware", "aware", required=True, metavar="TIMESTAMP",
              help="When the establishment became aware: ISO 8601, 'YYYY-MM-DD HH:MM' or 'DD/MM/YYYY HH:MM'; "
                   "local time in --tz unless an offset is given.")
@click.option("--tz", "tz", default=deadlines.DEFAULT_TIMEZONE, show_default=True,
              help="IANA time zone of the input (when it has no offset) and of the output.")
@click.option("--period-hours", type=click.IntRange(min=1), default=deadlines.CNIL_PERIOD_HOURS, show_default=True,
              help="CNIL period: 72 under GDPR art. 33(1); the COM(2025) 837 proposal would make it 96.")
@click.option("--nis2/--no-nis2", default=True, show_default=True, help="Also compute the NIS2 art. 23(4) stages.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object instead of a summary.")
def deadline_command(aware: str, tz: str, period_hours: int, nis2: bool, as_json: bool):
    """Deadlines that start when the establishment becomes aware of a breach."""
    lang = cli_language()
    try:
        zone = deadlines.zone(tz)
        parsed = deadlines.parse_local_timestamp(aware, zone)
    except deadlines.DeadlineInputError as error:
        _fail(error.message(lang))
    # `now` only decides statuses, which this command does not print: the awareness time keeps the output stable.
    clocks = {c.code: c for c in deadlines.compute_clocks(parsed.instant, period_hours=period_hours,
                                                          nis2_in_scope=nis2, now=parsed.instant, tz=zone)}
    regulation_due = deadlines.regulation_1182_71_deadline(parsed.instant, period_hours, zone)

    def local(instant: datetime) -> str:
        return instant.astimezone(zone).isoformat()

    if as_json:
        result = {
            "aware_at": local(parsed.instant),
            "aware_at_utc": parsed.instant.isoformat(),
            "timezone": zone.key,
            "period_hours": period_hours,
            "cnil_deadline": local(clocks["cnil"].due),
            "cnil_deadline_utc": clocks["cnil"].due.isoformat(),
            "regulation_1182_71_deadline": local(regulation_due),
            "ars_cert_sante": {"due": local(clocks["ars_cert_sante"].due), "immediate": True},
            "nis2": {
                "early_warning": local(clocks["nis2_early_warning"].due),
                "notification": local(clocks["nis2_notification"].due),
                "final_report": local(clocks["nis2_final_report"].due),
            } if nis2 else None,
            "ambiguous_local_time": parsed.ambiguous,
            "note": parsed.note.text(lang) if parsed.note else None,
        }
        click.echo(json.dumps(result, ensure_ascii=False))
        return

    def line(label: str, instant: datetime, extra: str = "", **params) -> None:
        label = translate(label, lang, **params)
        click.echo(f"{label:<36} {local(instant):<26} {format_datetime(instant, lang, zone.key)}"
                   f"{' ' + translate(extra, lang) if extra else ''}")

    line(N_("Prise de connaissance"), parsed.instant)
    line(N_("CNIL (%(hours)s h, RGPD art. 33(1))"), clocks["cnil"].due, hours=period_hours)
    line(N_("Règlement 1182/71 (note)"), regulation_due,
         N_("— indicatif, pas l'échéance"))
    click.echo(f"{'ARS / CERT Santé':<36} " + translate(N_("sans délai (CSP L.1111-8-2)"), lang))
    if nis2:
        line(N_("NIS2 alerte précoce"), clocks["nis2_early_warning"].due)
        line(N_("NIS2 notification"), clocks["nis2_notification"].due)
        line(N_("NIS2 rapport final"), clocks["nis2_final_report"].due)
    if parsed.note:
        click.echo(translate(N_("remarque\u00a0: %(note)s"), lang, note=parsed.note.text(lang)))


# --- breaches -------------------------------------------------------------------------------------------------

@click.group("breach")
def breach_group():
    """Breach records: JSON import and export (docs/breach-format.md)."""


@breach_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--user", "email", default=None, help="Account recorded as author (default: the only DPO).")
@with_appcontext
def breach_import(file: Path, email):
    """Create a breach from FILE.json; prints the new id alone on the last line."""
    from notifier.breaches import services as breaches
    from notifier.breaches.rules.form import BreachDocumentError

    lang = cli_language()
    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        fail(translate(N_("impossible de lire %(file)s\u00a0: %(error)s"), lang, file=file, error=error))
    except json.JSONDecodeError as error:
        fail(translate(N_("%(file)s n'est pas du JSON\u00a0: ligne %(line)s, colonne %(column)s\u00a0: %(error)s"),
                       lang,
                       file=file, line=error.lineno, column=error.colno, error=error.msg))
    user = acting_user(email)
    try:
        breach = breaches.import_document(doc, user, lang=lang)
    except BreachDocumentError as error:
        db.session.rollback()
        for path, message in error.problems:
            click.echo(f"{path}: {message}", err=True)
        fail(translate(N_("%(count)s problème(s)\u00a0: rien n'a été créé"), lang,
                       count=len(error.problems)))
    db.session.commit()
    click.echo(translate(N_("violation créée\u00a0: %(reference)s"), lang, reference=breach.reference))
    click.echo(breach.id)


@breach_group.command("export")
@click.argument("breach_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None)
@with_appcontext
def breach_export(breach_id: int, out: Path | None):
    """Write the breach as a JSON document (stdout, or --out FILE)."""
    from notifier.breaches import services as breaches
    from notifier.breaches.access import breach_or_fail

    breach = breach_or_fail(breach_id)
    body = breaches.export_json(breach, via="cli")
    db.session.commit()
    if out:
        out.write_text(body + "\n", encoding="utf-8")
    else:
        click.echo(body)


COMMANDS = [deadline_command, breach_group]
