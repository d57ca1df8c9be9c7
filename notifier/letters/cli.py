"""`notifier letters generate|status|reprint|track|notice`: patient letters from the command line, thin wrappers over
services.letters and services.letter_jobs (the web pages call the same functions).

    notifier letters generate BREACH_ID --out DIR [--variant NAME] [--lot-size N] [--workers N] [--draft]
                                              [--new-only]
    notifier letters status BREACH_ID [--held]
    notifier letters reprint BREACH_ID PATIENT_ID --out FILE.pdf
    notifier letters track BREACH_ID FILE.csv [--status S] [--date YYYY-MM-DD] [--dry-run]
    notifier letters notice BREACH_ID --out FILE.pdf [--lang fr|en]

Unusable input (unknown breach, no approved template without --draft, a tracking file with unknown references...):
exit 2 and one `error:` line on standard error. A generation that fails while running: exit 1.
"""

from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from notifier.accounts.cli import acting_user
from notifier.accounts.roles import Role
from notifier.core.cli import Command, Group, cli_text, fail, write_output
from notifier.core.i18n import N_, cli_language
from notifier.extensions import db
from notifier.letters.states import JobStatus, LetterStatus


def _breach(breach_id: int):
    from notifier.breaches.access import breach_or_fail

    return breach_or_fail(breach_id)


def _user(breach, email: str | None, permission: str):
    """--user, else the breach organisation's only DPO, else nobody (recorded as the command line)."""
    from notifier.accounts.models import User

    if email:
        user = acting_user(email)
    else:
        dpos = db.session.scalars(select(User).where(User.role == Role.DPO, User.active.is_(True),
                                                     User.organisation_id == breach.organisation_id)).all()
        user = dpos[0] if len(dpos) == 1 else None
    if user is not None:
        if user.organisation_id != breach.organisation_id:
            fail(cli_text(N_("%(email)s n'appartient pas à l'organisme de la violation %(id)s"), email=user.email,
                          id=breach.id))
        if not user.can(permission):
            fail(cli_text(N_("%(email)s (%(role)s) n'a pas ce droit (%(permission)s)"), email=user.email,
                          role=user.role, permission=permission))
    return user


@click.group("letters", cls=Group)
def letters_group():
    """Patient letters: generation in lots, status, reprints, tracking, public notice."""


def _progress_printer():
    shown = {"lots": -1}

    def show(state):
        if state["lots_done"] == shown["lots"] and not state["finished"]:
            return
        shown["lots"] = state["lots_done"]
        click.echo(_progress_line(state))

    return show


def _progress_line(state, *, letters_first: bool = False) -> str:
    """Lots, letters, rate and time left of a job, in the language of the command line."""
    parts = [cli_text(N_("lots %(done)s/%(total)s"), done=state["lots_done"], total=state["lots"]),
             cli_text(N_("%(done)s/%(total)s courriers (%(percent)s\u00a0%%)"), done=state["done"],
                      total=state["total"], percent=state["percent"])]
    if letters_first:
        parts.reverse()
    if state["rate"]:
        parts.append(cli_text(N_("%(rate)s courriers/s"), rate=f"{state['rate']:.0f}"))
    if state["seconds_left"] is not None:
        parts.append(cli_text(N_("%(seconds)s s restantes"), seconds=state["seconds_left"]))
    return " · ".join(parts)


@letters_group.command("generate", cls=Command)
@click.argument("breach_id", type=int)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for lot-0001.pdf... and manifest.csv (created if needed).")
@click.option("--variant", default=None, help="Only this variant's patients (default: every variant).")
@click.option("--lot-size", type=click.IntRange(1, 50_000), default=5000, show_default=True)
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Local processes (default LETTER_WORKERS).")
@click.option("--draft", is_flag=True, help="Watermarked drafts (PROJET), allowed before approval.")
@click.option("--new-only", is_flag=True,
              help="Only patients whose letter was never generated for real (late imports, released holds).")
@click.option("--duplex/--simplex", default=None,
              help="Lay the lots out for recto verso printing (blank versos), or recto only (default: LETTER_DUPLEX).")
@click.option("--user", "email", default=None, help="Account recorded as author (default: the only DPO).")
@with_appcontext
def generate_command(breach_id, out_dir: Path, variant, lot_size, workers, draft, new_only, duplex, email):
    """One letter per patient: DIR/lot-0001.pdf... and DIR/manifest.csv. Re-running after an interruption resumes
    the same job (pending lots only) and rewrites the manifest complete."""
    from notifier.letters import jobs as letter_jobs
    from notifier.letters.models import LetterJob
    from notifier.letters.runners import run_job

    breach = _breach(breach_id)
    user = _user(breach, email, "letters.generate")
    if out_dir.exists() and not out_dir.is_dir():
        fail(cli_text(N_("ce n'est pas un dossier\u00a0: %(path)s"), path=out_dir))
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        fail(cli_text(N_("impossible de créer %(path)s\u00a0: %(reason)s"), path=out_dir, reason=error.strerror))
    try:
        started = letter_jobs.start_job(breach, user=user, out_dir=out_dir, draft=draft, variant=variant,
                                        lot_size=lot_size, only_new=new_only, duplex=duplex)
    except letter_jobs.GenerationRefused as error:
        db.session.rollback()
        fail(error.message(cli_language()))
    job_id, total, held, lots = started.job.id, started.job.total, started.job.held, len(started.job.chunks)
    if started.resumed:
        click.echo(cli_text(N_("reprise de la génération %(job)s\u00a0: %(done)s/%(total)s courriers déjà faits"),
                            job=job_id, done=started.done_before, total=total))
    elif draft:
        click.echo(cli_text(N_("génération %(job)s\u00a0: %(total)s courriers en %(lots)s lots "
                               "(projets\u00a0: PROJET)"),
                            job=job_id, total=total, lots=lots))
    else:
        click.echo(cli_text(N_("génération %(job)s\u00a0: %(total)s courriers en %(lots)s lots"), job=job_id,
                            total=total, lots=lots))
    if held:
        click.echo(cli_text(N_("%(held)s patient(s) en attente de vérification ou sans code postal ne reçoivent pas de "
                               "courrier (`notifier letters status %(breach)s --held` les liste)"),
                            held=held, breach=breach_id))
    status = run_job(current_app._get_current_object(), job_id, workers=workers, on_progress=_progress_printer())
    job = db.session.get(LetterJob, job_id)
    if status != JobStatus.DONE:
        fail(cli_text(N_("génération %(job)s %(status)s\u00a0: %(reason)s"), job=job_id, status=status,
                      reason=job.error or cli_text(N_("voir notifier letters status"))), 1)
    click.echo(cli_text(N_("%(lots)s lot(s) et %(manifest)s écrits\u00a0: %(total)s courriers"), lots=lots,
                        manifest=Path(job.out_dir) / "manifest.csv", total=total))


@letters_group.command("status", cls=Command)
@click.argument("breach_id", type=int)
@click.option("--held", "show_held", is_flag=True, help="List the patients who get no letter, and why.")
@with_appcontext
def status_command(breach_id, show_held):
    """The latest generation job's progress and the letters' statuses."""
    from notifier.letters import jobs as letter_jobs
    from notifier.letters import services as letters

    breach = _breach(breach_id)
    job = letter_jobs.latest_job(breach.id)
    if job is None:
        click.echo(cli_text(N_("%(reference)s\u00a0: aucune génération de courriers pour l'instant"),
                            reference=breach.reference))
    else:
        state = letter_jobs.progress(job)
        kind = cli_text(N_("projet")) if job.draft else cli_text(N_("définitive"))
        click.echo(cli_text(N_("génération %(job)s (%(kind)s)\u00a0: %(status)s"), job=job.id, kind=kind,
                            status=state["status"]) + " · " + _progress_line(state, letters_first=True))
        click.echo(cli_text(N_("dossier\u00a0: %(path)s"), path=job.out_dir))
        if state["error"]:
            click.echo(f"error: {state['error']}")
    counts = letters.breach_letter_counts(breach.id)
    click.echo(cli_text(N_("courriers\u00a0: %(counts)s"), counts=", ".join(
        f"{status} {count}" for status, count in counts.items()) or cli_text(N_("aucun généré"))))
    held = letters.held_count(breach.id)
    click.echo(cli_text(N_("en attente ou sans code postal (pas de courrier)\u00a0: %(held)s"), held=held))
    if show_held:
        for patient in letters.held_patients(breach.id, limit=None):
            reasons = ", ".join(patient.holds or []) or (cli_text(N_("sans code postal")) if not patient.postcode
                                                         else patient.status)
            click.echo(f"  {patient.patient_id}\t{reasons}")


@letters_group.command("reprint", cls=Command)
@click.argument("breach_id", type=int)
@click.argument("patient_id")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@with_appcontext
def reprint_command(breach_id, patient_id, out: Path):
    """One patient's letter (by IPP) again, drawn exactly as in its lot; prints its manifest sha256 last."""
    from notifier.letters import services as letters

    breach = _breach(breach_id)
    if out.parent and not out.parent.is_dir():
        fail(cli_text(N_("dossier introuvable\u00a0: %(path)s"), path=out.parent))
    try:
        found = letters.reprint(breach, patient_id, via="cli")
    except letters.LetterError as error:
        fail(error.message(cli_language()))
    write_output(out, found.pdf)
    db.session.commit()
    click.echo(cli_text(N_("%(path)s écrit\u00a0: %(reference)s (%(lot)s de la génération %(job)s%(draft)s)"),
                        path=out, reference=found.reference, lot=found.lot, job=found.job.id,
                        draft=cli_text(N_(", projet")) if found.job.draft else ""))
    if not found.matches_lot:
        click.echo(cli_text(N_("note\u00a0: l'adresse du patient a changé depuis la génération du lot\u00a0: cette "
                               "réimpression en diffère")))
    click.echo(found.sha256)


@letters_group.command("track", cls=Command)
@click.argument("breach_id", type=int)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--status", "default_status", type=click.Choice([status.value for status in LetterStatus]),
              default=LetterStatus.RETURNED.value, show_default=True, help="For rows without a status column.")
@click.option("--date", "default_date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="For rows without a date (default: today).")
@click.option("--dry-run", is_flag=True, help="Check the file, change nothing.")
@click.option("--user", "email", default=None)
@with_appcontext
def track_command(breach_id, file: Path, default_status, default_date, dry_run, email):
    """Statuses from the print shop or La Poste: a CSV with a `reference` column and optionally `status` and `date`.
    All or nothing: any unknown reference or bad value is listed and nothing is applied (exit 2)."""
    from notifier.letters import services as letters

    breach = _breach(breach_id)
    user = _user(breach, email, "letters.track")
    try:
        handle = file.open("rb")
    except OSError as error:
        fail(cli_text(N_("impossible de lire %(path)s\u00a0: %(reason)s"), path=file, reason=error.strerror))
    try:
        with handle:  # streamed: never whole in memory
            rows = letters.read_tracking_csv(handle, max_bytes=current_app.config["TRACKING_MAX_BYTES"])
            result = letters.apply_tracking(breach, rows, user=user, default_status=default_status,
                                            default_date=default_date.date() if default_date else None,
                                            source=f"cli:{file.name}", dry_run=dry_run)
    except letters.LetterError as error:
        db.session.rollback()
        fail(error.message(cli_language()))
    if result.problem_count:
        db.session.rollback()
        for problem in result.problems:
            click.echo(problem.message(cli_language()))
        fail(cli_text(N_("%(count)s problème(s) dans %(file)s\u00a0: rien n'a été appliqué"),
                      count=result.problem_count, file=file.name))
    db.session.commit()
    summary = ", ".join(f"{status} {count}" for status, count in sorted(result.by_status.items())) \
        or cli_text(N_("rien"))
    done = N_("%(rows)s ligne(s) vérifiée(s)\u00a0: %(summary)s") if dry_run \
        else N_("%(rows)s ligne(s) mise(s) à jour\u00a0: %(summary)s")
    click.echo(cli_text(done, rows=result.rows, summary=summary))


@letters_group.command("notice", cls=Command, short_help="The public notice (GDPR art. 34(3)(c)) as a PDF.")
@click.argument("breach_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--lang", type=click.Choice(["fr", "en"]), default="fr", show_default=True)
@with_appcontext
def notice_command(breach_id, out: Path, lang):
    """The public notice of GDPR art. 34(3)(c) (PDF), from the letter's texts."""
    from notifier.letters import services as letters

    breach = _breach(breach_id)
    try:
        pdf = letters.public_notice_pdf(breach, lang, via="cli")
    except letters.LetterError as error:
        fail(error.message(cli_language()))
    write_output(out, pdf)
    db.session.commit()
    click.echo(cli_text(N_("%(path)s écrit"), path=out))


# --- e-mails -------------------------------------------------------------------------------------------------------


@click.group("email", cls=Group)
def email_group():
    """Patient e-mails where the patient gave an address: sending (a resumable job), status, bounces."""


def _email_progress_printer():
    shown = {"done": -1}

    def show(state):
        if state["done"] == shown["done"] and not state["finished"]:
            return
        shown["done"] = state["done"]
        emails = state.get("emails") or {}
        parts = [cli_text(N_("%(done)s/%(total)s courriels (%(percent)s\u00a0%%)"), done=state["done"],
                          total=state["total"], percent=state["percent"]),
                 cli_text(N_("%(sent)s envoyés, %(refused)s refusés"), sent=emails.get("sent", 0),
                          refused=emails.get("refused", 0))]
        if state["rate"]:
            parts.append(cli_text(N_("%(rate)s courriels/s"), rate=f"{state['rate']:.0f}"))
        if state["seconds_left"] is not None:
            parts.append(cli_text(N_("%(seconds)s s restantes"), seconds=state["seconds_left"]))
        click.echo(" · ".join(parts))

    return show


@email_group.command("send", cls=Command)
@click.argument("breach_id", type=int)
@click.option("--variant", default=None, help="Only this variant's patients (default: every e-mailed variant).")
@click.option("--rate", type=click.FloatRange(0, 10_000, min_open=True), default=None,
              help="Messages per second over the whole job (default: EMAIL_RATE).")
@click.option("--workers", type=click.IntRange(1, 64), default=None, help="Local processes (default LETTER_WORKERS).")
@click.option("--dry-run", is_flag=True, help="Count what would be sent; send and change nothing.")
@click.option("--user", "email", default=None, help="Account recorded as author (default: the only DPO).")
@with_appcontext
def email_send_command(breach_id, variant, rate, workers, dry_run, email):
    """E-mail the approved variant's text to every patient with an address whose variant is sent by e-mail. Run it
    again after an interruption: what the relay accepted is never sent again, nothing is skipped."""
    from notifier.letters import emails
    from notifier.letters.models import LetterJob
    from notifier.letters.runners import run_job

    breach = _breach(breach_id)
    user = _user(breach, email, "letters.generate")
    config = current_app.config
    try:
        if dry_run:
            found = emails.preview(breach, variant=variant, rate=rate, config=config)
            click.echo(cli_text(N_("simulation\u00a0: %(count)s courriel(s) à envoyer (variantes %(variants)s), "
                                   "%(sent)s déjà envoyé(s), %(failed)s refusé(s) ou revenu(s) (courrier dû)"),
                                count=found.to_send, variants=", ".join(found.variants), sent=found.already_sent,
                                failed=found.failed))
            if found.rate and found.to_send:
                click.echo(cli_text(N_("à %(rate)s courriels/s\u00a0: environ %(seconds)s s"), rate=f"{found.rate:g}",
                                    seconds=round(found.to_send / found.rate)))
            return
        started = emails.start_email_job(breach, user=user, config=config, variant=variant, rate=rate)
    except emails.EmailRefused as error:
        db.session.rollback()
        fail(error.message(cli_language()))
    job_id, total = started.job.id, started.job.total
    if started.resumed:
        click.echo(cli_text(N_("envoi %(job)s\u00a0: %(total)s courriel(s) à envoyer, %(before)s envoyé(s) "
                               "auparavant"), job=job_id, total=total, before=started.done_before))
    else:
        click.echo(cli_text(N_("envoi %(job)s\u00a0: %(total)s courriel(s) en %(chunks)s lot(s)"), job=job_id,
                            total=total, chunks=len(started.job.chunks)))
    status = run_job(current_app._get_current_object(), job_id, workers=workers,
                     on_progress=_email_progress_printer())
    job = db.session.get(LetterJob, job_id)
    counts = emails.breach_email_counts(breach.id)
    summary = ", ".join(f"{key} {value}" for key, value in counts.items())
    if status != JobStatus.DONE:
        fail(cli_text(N_("envoi %(job)s %(status)s\u00a0: %(reason)s (%(summary)s)\u00a0; relancez "
                         "«\u00a0notifier email send %(breach)s\u00a0» pour reprendre"), job=job_id, status=status,
                      reason=job.error or cli_text(N_("voir notifier email status")), summary=summary,
                      breach=breach_id), 1)
    click.echo(cli_text(N_("envoi %(job)s terminé\u00a0: %(summary)s"), job=job_id, summary=summary))


@email_group.command("status", cls=Command)
@click.argument("breach_id", type=int)
@click.option("--failed", "show_failed", is_flag=True, help="List refused and bounced e-mails (reference, code).")
@with_appcontext
def email_status_command(breach_id, show_failed):
    """The latest e-mail job's progress and every e-mail's state (queued, sent, refused, bounced)."""
    from notifier.letters import emails
    from notifier.letters import jobs as letter_jobs

    breach = _breach(breach_id)
    job = emails.latest_email_job(breach.id)
    if job is None:
        click.echo(cli_text(N_("%(reference)s\u00a0: aucun envoi de courriels pour l'instant"),
                            reference=breach.reference))
    else:
        state = letter_jobs.progress(job)
        parts = [cli_text(N_("envoi %(job)s\u00a0: %(status)s"), job=job.id, status=state["status"]),
                 cli_text(N_("%(done)s/%(total)s courriels (%(percent)s\u00a0%%)"), done=state["done"],
                          total=state["total"], percent=state["percent"])]
        if state["rate"]:
            parts.append(cli_text(N_("%(rate)s courriels/s"), rate=f"{state['rate']:.0f}"))
        if state["seconds_left"] is not None:
            parts.append(cli_text(N_("%(seconds)s s restantes"), seconds=state["seconds_left"]))
        click.echo(" · ".join(parts))
        if state["error"]:
            click.echo(f"error: {state['error']}")
    counts = emails.breach_email_counts(breach.id)
    click.echo(cli_text(N_("courriels\u00a0: %(counts)s"),
                        counts=", ".join(f"{key} {value}" for key, value in counts.items())))
    plan = emails.channel_plan(breach.id, postage_price=current_app.config.get("LETTER_POSTAGE_PRICE") or 0)
    click.echo(cli_text(N_("canaux\u00a0: %(letters)s par courrier, %(emails)s par courriel (%(instead)s au lieu "
                           "d'un courrier, %(failed)s refusé(s) ou revenu(s)\u00a0: courrier dû), %(nowhere)s par "
                           "aucun des deux"), letters=plan.letters, emails=plan.emails, instead=plan.email_only,
                        failed=plan.email_failed, nowhere=plan.nowhere))
    for row in plan.by_variant:
        click.echo(cli_text(N_("  variante %(variant)s\u00a0: %(channel)s, %(patients)s patient(s) prêt(s), "
                               "%(emails)s avec une adresse électronique"), variant=row["variant"],
                            channel=row["channel"], patients=row["patients"], emails=row["with_email"]))
    if show_failed:
        for reference, status, code, text in emails.failed_emails(breach.id, limit=10_000):
            click.echo(f"  {reference}\t{status}\t{code}\t{text}")


@email_group.command("bounces", cls=Command)
@click.argument("breach_id", type=int)
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Read and match, change nothing.")
@click.option("--user", "email", default=None)
@with_appcontext
def email_bounces_command(breach_id, file: Path, dry_run, email):
    """Bounces: an mbox or a folder of .eml delivery-status notifications (RFC 3464), or the relay's CSV. Each
    bounced e-mail puts its patient into the next letter job (`notifier letters generate --new-only`)."""
    from notifier.letters import emails

    breach = _breach(breach_id)
    user = _user(breach, email, "letters.track")
    try:
        bounces, read, ignored = emails.read_bounces(file)
        result = emails.apply_bounces(breach, bounces, read=read, ignored=ignored, user=user,
                                      source=f"cli:{file.name}", dry_run=dry_run)
    except emails.LetterError as error:
        db.session.rollback()
        fail(error.message(cli_language()))
    db.session.commit()
    message = (N_("%(read)s élément(s) vérifié(s)\u00a0: %(bounced)s revenu(s), %(already)s déjà connu(s), "
                  "%(ignored)s ignoré(s) (retards, autres messages), %(unmatched)s sans correspondance")
               if dry_run else
               N_("%(read)s élément(s) appliqué(s)\u00a0: %(bounced)s revenu(s), %(already)s déjà connu(s), "
                  "%(ignored)s ignoré(s) (retards, autres messages), %(unmatched)s sans correspondance"))
    click.echo(cli_text(message, read=result.read, bounced=result.bounced, already=result.already,
                        ignored=result.ignored, unmatched=len(result.unmatched)))
    for position in result.unmatched[:50]:
        click.echo(cli_text(N_("  sans correspondance\u00a0: %(position)s"),
                            position=emails.describe_position(position, cli_text)))


COMMANDS = [letters_group, email_group]
