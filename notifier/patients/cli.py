"""`notifier patients import|purge`, thin wrappers over services.patients (the benchmark: bench/patient_import.py).

    notifier patients import BREACH_ID FILE [--mapping NAME] [--rejected OUT.csv] [--json] [--user EMAIL]
    notifier patients purge BREACH_ID [--force] [--user EMAIL]
    notifier patients clean-staging

`import` exits 0 when the file was processed (rejected rows included: their reasons are in the rejected-rows CSV),
2 with one `error:` line when the file itself is unusable (not CSV/XLSX, unknown encoding, no recognisable or
required columns, damaged further on), 1 on an unexpected failure. `--json` prints
{"read", "accepted", "rejected", "held", ...} with read = accepted + rejected.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from notifier.core.cli import Command, Group, cli_text, fail
from notifier.core.i18n import N_, cli_language
from notifier.patients.states import ImportStatus

FILE_ERROR_EXIT = 2


@click.group("patients", cls=Group)
def patients_group():
    """Affected patients: import a list (CSV/XLSX), purge it after the retention period."""


def _breach_and_user(breach_id: int, email: str | None, permission: str):
    from notifier.breaches.access import breach_and_user_or_fail

    breach, user = breach_and_user_or_fail(breach_id, email)
    if not user.can(permission):
        fail(cli_text(N_("%(email)s (%(role)s) n'a pas ce droit (%(permission)s)"), email=user.email,
                      role=user.role, permission=permission))
    return breach, user


@patients_group.command("import", cls=Command)
@click.argument("breach_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--mapping", "mapping_name", default=None, help="A column mapping saved from the web page, by name.")
@click.option("--rejected", "rejected_out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the rejected rows, with their reasons, to this CSV (to fix and import again).")
@click.option("--json", "as_json", is_flag=True, help='Print {"read", "accepted", "rejected", "held", ...}.')
@click.option("--user", "email", default=None, help="Account recorded as author (default: the only DPO).")
@with_appcontext
def import_command(breach_id: int, file: Path, mapping_name, rejected_out: Path | None, as_json: bool, email):
    """Import the affected patients of a breach from a CSV or XLSX file."""
    from notifier.patients import services as patients
    from notifier.patients.rules.rows import ImportFileError

    breach, user = _breach_and_user(breach_id, email, "patients.import")
    if rejected_out and not rejected_out.parent.is_dir():
        fail(cli_text(N_("dossier introuvable\u00a0: %(path)s"), path=rejected_out.parent))
    try:
        imp = patients.import_file(breach, file, user=user, mapping_name=mapping_name)
    except ImportFileError as error:
        fail(error.message(cli_language()), FILE_ERROR_EXIT)
    except patients.ImportRefused as error:
        fail(error.message(cli_language()))
    if imp.status != ImportStatus.DONE:
        status = FILE_ERROR_EXIT if imp.error_code != "internal" else 1
        fail(cli_text(N_("import arrêté (%(code)s)\u00a0: %(error)s\u00a0; %(accepted)s patients des lots précédents "
                         "conservés"), code=imp.error_code, error=imp.error, accepted=imp.accepted), status)
    ignored = [header for header, field in imp.mapping.items() if not field]
    if ignored and not as_json:
        click.echo(cli_text(N_("note\u00a0: colonnes non reconnues, ignorées\u00a0: %(columns)s"),
                            columns=", ".join(ignored)), err=True)
    if rejected_out:
        _write_rejected(imp, rejected_out)
    result = {"read": imp.read, "accepted": imp.accepted, "rejected": imp.rejected, "held": imp.held,
              "import_id": imp.id, "holds": imp.hold_counts, "normalisations": imp.normalisation_counts,
              "ignored_columns": ignored, "rejected_file": str(rejected_out) if rejected_out else None}
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False))
        return
    click.echo(cli_text(N_("%(reference)s\u00a0: %(read)s lignes lues\u00a0: %(accepted)s acceptées (%(held)s "
                           "en attente "
                           "de vérification), %(rejected)s rejetées"), reference=breach.reference, read=imp.read,
                        accepted=imp.accepted, held=imp.held, rejected=imp.rejected))
    if imp.normalisation_counts:
        click.echo(cli_text(N_("normalisées\u00a0: %(counts)s"), counts=", ".join(
            f"{code} {count}" for code, count in sorted(imp.normalisation_counts.items(), key=lambda item: -item[1]))))
    if rejected_out:
        click.echo(cli_text(N_("lignes rejetées et leurs motifs\u00a0: %(path)s"), path=rejected_out))
    elif imp.rejected:
        click.echo(cli_text(N_("lignes rejetées et leurs motifs\u00a0: utilisez --rejected SORTIE.csv, "
                               "ou téléchargez-les "
                               "depuis la page des patients")))


def _write_rejected(imp, out: Path) -> None:
    import shutil

    from notifier.patients import services as patients
    from notifier.patients.rules.rows import write_rejected_csv

    source = patients.rejected_path(imp)
    try:
        if source is not None:
            shutil.copyfile(source, out)
        else:  # nothing rejected: the columns alone, so that a script always finds the file
            with open(out, "wb") as handle:
                write_rejected_csv(handle, imp.headers, [])
    except OSError as error:
        fail(cli_text(N_("impossible d'écrire %(path)s\u00a0: %(reason)s"), path=out, reason=error.strerror))


@patients_group.command("purge", cls=Command)
@click.argument("breach_id", type=int)
@click.option("--force", is_flag=True, help="Do not ask for confirmation.")
@click.option("--user", "email", default=None, help="Account recorded as author (default: the only DPO).")
@with_appcontext
def purge_command(breach_id: int, force: bool, email):
    """Delete the patient list of a closed breach once its retention period (PATIENT_RETENTION_DAYS after closing,
    GDPR art. 5(1)(e)) is over; the imports' counts and the letters' references and statuses are kept."""
    from notifier.extensions import db
    from notifier.patients import services as patients

    breach, user = _breach_and_user(breach_id, email, "patients.import")
    retention_days = current_app.config["PATIENT_RETENTION_DAYS"]
    try:
        patients.check_purge(breach, retention_days=retention_days)
    except patients.PurgeRefused as error:
        fail(cli_text(N_("violation %(reference)s\u00a0: %(problem)s"), reference=breach.reference,
                      problem=error.message(cli_language())))
    count = patients.counts(breach.id).total
    if not force:
        if not sys.stdin.isatty():
            fail(cli_text(N_("pas de terminal interactif\u00a0: confirmez avec --force")))
        click.confirm(cli_text(N_("Supprimer les %(count)s patients de la violation %(reference)s\u00a0?"), count=count,
                               reference=breach.reference), abort=True)
    try:
        deleted = patients.purge(breach, user=user, retention_days=retention_days)
    except patients.PurgeRefused as error:
        db.session.rollback()
        fail(cli_text(N_("violation %(reference)s\u00a0: %(problem)s"), reference=breach.reference,
                      problem=error.message(cli_language())))
    db.session.commit()
    click.echo(cli_text(N_("%(reference)s\u00a0: %(deleted)s patients supprimés\u00a0; comptes des imports et "
                           "références "
                           "des courriers conservés"), reference=breach.reference, deleted=deleted))


@patients_group.command("clean-staging", cls=Command)
@with_appcontext
def clean_staging_command():
    """Delete the staged uploads and partial rejected-rows files that no import needs any more (imports that
    ended, or whose process died: they are marked failed first). Safe to run at any time, e.g. from cron."""
    from notifier.patients import services as patients

    result = patients.sweep_staging()
    click.echo(cli_text(N_("%(interrupted)s import(s) interrompu(s) marqué(s) en échec, %(deleted)s fichier(s) "
                           "supprimé(s)"), interrupted=result["interrupted"], deleted=result["deleted"]))


COMMANDS = [patients_group]
