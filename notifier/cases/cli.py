"""`notifier reminders send`, `notifier dossier export BREACH_ID --out FILE.zip`, `notifier evidence rekey`.

Thin wrappers over cases/reminders.py, cases/dossier.py and cases/services.py; unusable input: exit 2, one `error:`
line."""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from notifier.core.cli import Command, Group, cli_text, fail, write_output
from notifier.core.i18n import N_


@click.group("reminders", cls=Group)
def reminders_group():
    """Reminder e-mails (tasks, clocks, approvals)."""


@reminders_group.command("send", cls=Command)
@click.option("--dry-run", is_flag=True, help="List what is due without sending or recording anything.")
@with_appcontext
def send_command(dry_run: bool):
    """Send the reminders due now, each once (run it every 5 to 15 minutes: cron, systemd timer or Celery beat)."""
    from notifier.cases import reminders
    from notifier.core.types import utcnow
    from notifier.extensions import db

    period = current_app.config["CNIL_PERIOD_HOURS"]
    if dry_run:
        for reminder in reminders.due_reminders(utcnow(), period_hours=period):
            click.echo(f"{reminder.key} -> {reminder.recipient.email}")
        return
    if not current_app.config.get("SMTP_HOST") or not current_app.config.get("MAIL_FROM"):
        fail(cli_text(N_("NOTIFIER_SMTP_HOST et NOTIFIER_MAIL_FROM doivent être définis pour envoyer les rappels")))
    report = reminders.send_due(current_app.config, period_hours=period)
    db.session.commit()
    click.echo(cli_text(N_("rappels envoyés\u00a0: %(sent)s, déjà envoyés\u00a0: %(already)s, en échec\u00a0: "
                           "%(failed)s"), sent=report.sent, already=report.already, failed=len(report.failed)))
    for failure in report.failed:
        click.echo(f"error: {failure}", err=True)
    if report.failed:
        raise SystemExit(1)


@click.group("dossier", cls=Group)
def dossier_group():
    """The dossier of a breach (ZIP with MANIFEST.sha256)."""


@dossier_group.command("export", cls=Command)
@click.argument("breach_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="The ZIP to write.")
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@click.option("--user", "email", default=None, help="Account recorded as exporting (default: the only DPO).")
@with_appcontext
def export_command(breach_id: int, out: Path, lang: str, email):
    """Write a breach's complete dossier; prints the SHA-256 of the ZIP alone on the last line."""
    import hashlib

    from notifier.breaches.access import breach_and_user_or_fail
    from notifier.cases import dossier
    from notifier.extensions import db

    breach, user = breach_and_user_or_fail(breach_id, email)
    if not user.can("case.export"):
        fail(cli_text(N_("%(email)s (%(role)s) ne peut pas exporter le dossier"), email=user.email, role=user.role))
    if out.parent and not out.parent.is_dir():
        fail(cli_text(N_("dossier introuvable\u00a0: %(path)s"), path=out.parent))
    data = dossier.export(breach, user=user, lang=lang, via="cli",
                          period_hours=current_app.config["CNIL_PERIOD_HOURS"])
    write_output(out, data)
    db.session.commit()
    click.echo(cli_text(N_("%(path)s écrit\u00a0: dossier de %(reference)s (vérifiez-le avec sha256sum -c "
                           "MANIFEST.sha256)"), path=out, reference=breach.reference))
    click.echo(hashlib.sha256(data).hexdigest())


@click.group("evidence", cls=Group)
def evidence_group():
    """The evidence vault (AES-256-GCM at rest)."""


@evidence_group.command("rekey", cls=Command)
@with_appcontext
def rekey_command():
    """Re-encrypt every evidence file with the current key (NOTIFIER_EVIDENCE_KEY), reading the retired ones from
    NOTIFIER_EVIDENCE_OLD_KEYS (docs/case.md, "Key rotation")."""
    from notifier.cases import services
    from notifier.cases.vault import VaultError
    from notifier.extensions import db

    try:
        done, seen = services.rekey_vault()
    except VaultError as error:
        db.session.rollback()
        fail(str(error))
    db.session.commit()
    click.echo(cli_text(N_("fichiers rechiffrés\u00a0: %(done)s sur %(seen)s"), done=done, seen=seen))


COMMANDS = [reminders_group, dossier_group, evidence_group]
