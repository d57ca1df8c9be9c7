"""Patient letters in the browser: variants and their versions, four-eyes approval, previews, the generation job
with its progress bar, downloads of lots and manifest, reprints, tracking and the public notice.

Every view declares its permission. A breach is reached through get_breach (404 for another organisation), a job
through its random token and its organisation: lot files are served from the path recorded in the database, never
from a path in the URL."""

import os
import tempfile
from datetime import date
from pathlib import Path

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from notifier.breaches.access import get_breach
from notifier.core.formatting import format_euros
from notifier.core.i18n import N_
from notifier.core.web import MAX_ID, MAX_PAGE, bounded_number, form_int, query_int, require
from notifier.core.web import user_lang as _lang
from notifier.documents.letter import LETTER_ORDER, format_letter_date
from notifier.documents.letter import strings as letter_strings
from notifier.extensions import db
from notifier.letters import emails, returns, tracking
from notifier.letters import jobs as letter_jobs
from notifier.letters import services as letters
from notifier.letters.models import LetterChunk, LetterJob, LetterTemplate, lot_file_name
from notifier.letters.states import Audience, Channel, ChunkStatus, EmailStatus, JobKind, JobStatus, LetterStatus
from notifier.patients import services as patients
from notifier.patients.models import Patient
from notifier.patients.rules.rows import FIELDS, HOLDS

bp = Blueprint("letters", __name__)
for _state in (Audience, Channel, ChunkStatus, EmailStatus, JobKind, JobStatus, LetterStatus):
    bp.add_app_template_global(_state, _state.__name__)


def _template(breach, template_id: int) -> LetterTemplate:
    template = db.session.get(LetterTemplate, template_id)
    if template is None or template.breach_id != breach.id:
        abort(404)
    return template


def _job(token: str) -> LetterJob:
    job = letter_jobs.job_by_token(token, current_user.organisation_id)
    if job is None:
        abort(404)
    return job


def _back(breach, anchor: str | None = None):
    return redirect(url_for("letters.index", breach_id=breach.id, _anchor=anchor))


@bp.app_context_processor
def _letter_helpers():
    def letters_panel(breach):
        return {
            "counts": letters.breach_letter_counts(breach.id),
            "templates": letters.current_templates(breach.id),
            "job": letter_jobs.latest_job(breach.id),
            "held": letters.held_count(breach.id),
            "returns": returns.outcome_counts(breach.id),
        }

    def letters_awaiting_approval():
        """The templates waiting for the signed-in legal user's approval (dashboard, letters/_awaiting.html)."""
        return letters.awaiting_approval(current_user) if current_user.is_authenticated else []

    return {"letters_panel": letters_panel, "letter_job_progress": letter_jobs.progress,
            "letter_status_labels": letters.STATUS_LABELS,
            "audience_labels": letters.AUDIENCE_LABELS, "return_outcomes": returns.OUTCOMES,
            "letters_awaiting_approval": letters_awaiting_approval, "review_labels": letters.REVIEW_LABELS,
            "channel_labels": letters.CHANNEL_LABELS, "email_status_labels": emails.STATUS_LABELS,
            "money": lambda value: format_euros(value, _lang())}


@bp.get("/breaches/<int:breach_id>/letters")
@require("letters.track")
def index(breach_id: int):
    breach = get_breach(breach_id)
    templates = letters.current_templates(breach.id, include_retired=True)
    jobs = db.session.scalars(select(LetterJob).where(LetterJob.breach_id == breach.id,
                                                      LetterJob.kind == JobKind.LETTERS)
                              .order_by(LetterJob.id.desc()).limit(10)).all()
    email_job = emails.latest_email_job(breach.id)
    return render_template(
        "letters/index.html", breach=breach, templates=templates,
        problems={t.id: letters.template_problems(t) for t in templates}, jobs=jobs,
        progress={job.id: letter_jobs.progress(job) for job in jobs}, counts=letters.breach_letter_counts(breach.id),
        held=letters.held_count(breach.id), statuses=list(LetterStatus), today=date.today().isoformat(),
        approved_any=any(t.approved and not t.retired for t in templates),
        plan=emails.channel_plan(breach.id, postage_price=current_app.config.get("LETTER_POSTAGE_PRICE") or 0),
        email_counts=emails.breach_email_counts(breach.id), email_job=email_job,
        email_progress=letter_jobs.progress(email_job) if email_job else None,
        emailed_variants=[t for t in templates if t.channel in Channel.with_email() and not t.retired],
        email_rate=current_app.config.get("EMAIL_RATE"),
        relay_configured=bool(current_app.config.get("SMTP_HOST") and current_app.config.get("MAIL_FROM")))


# --- variants and versions ----------------------------------------------------------------------------------------


@bp.post("/breaches/<int:breach_id>/letters/variants")
@require("letters.edit")
def new_variant(breach_id: int):
    breach = get_breach(breach_id)
    name = (request.form.get("variant") or "").strip().lower()
    if not letters.VARIANT_NAME.fullmatch(name):
        flash(_("Nom de variante invalide\u00a0: lettres minuscules, chiffres et tirets (40 au plus)."), "error")
        return _back(breach, "variants-title")
    return redirect(url_for("letters.edit", breach_id=breach.id, variant=name))


def _form_values(breach, current: LetterTemplate | None) -> dict:
    if current is not None:
        return {"lang": current.lang, "audience": current.audience, "segments": ", ".join(current.segments),
                "channel": current.channel,
                "texts": dict(current.texts), "sender": dict(current.sender), "layout": dict(current.layout),
                "letter_date": current.letter_date.isoformat(), "retired": current.retired}
    lang = request.args.get("lang") if request.args.get("lang") in letters.LANGUAGES else "fr"
    return {"lang": lang, "audience": Audience.ANY, "segments": "", "channel": Channel.PAPER,
            "texts": letters.default_texts(breach, lang),
            "sender": letters.default_sender(breach), "layout": letters.default_layout(current_app.config),
            "letter_date": date.today().isoformat(), "retired": False}


def _submitted() -> dict:
    form = request.form
    return {
        "lang": form.get("lang", "fr"), "audience": form.get("audience", Audience.ANY),
        "segments": form.get("segments", ""), "channel": form.get("channel", Channel.PAPER),
        "texts": {key: form.get(f"text_{key}", "") for key in letters.TEXT_KEYS},
        "sender": {"name": form.get("sender_name", ""),
                   "address_lines": form.get("sender_address", "").splitlines(),
                   "phone": form.get("sender_phone", ""), "email": form.get("sender_email", ""),
                   "contact": form.get("sender_contact", ""), "city": form.get("sender_city", ""),
                   "dpo_gender": form.get("dpo_gender", "")},
        "layout": {"left": form.get("window_left", ""), "top": form.get("window_top", "")},
        "letter_date": form.get("letter_date", ""), "retired": form.get("retired") == "y",
    }


def _render_edit(breach, variant, current, values, status=200):
    segments = db.session.scalars(select(Patient.segment).where(
        Patient.breach_id == breach.id, Patient.segment.is_not(None), Patient.segment != "")
        .distinct().order_by(Patient.segment).limit(50)).all()
    return render_template("letters/edit.html", breach=breach, variant=variant, current=current, values=values,
                           text_keys=LETTER_ORDER, required=letters.REQUIRED_TEXT_KEYS,
                           warnings=letters.plain_language_warnings(values["texts"], values["lang"], _lang()),
                           changes=letters.changes_requested(current) if current else None,
                           labels=letters.TEXT_LABELS, sources=letters.TEXT_SOURCES, audiences=list(Audience),
                           channels=list(Channel),
                           known_segments=segments,
                           missing=letters.missing_required_texts(values["texts"])), status


@bp.get("/breaches/<int:breach_id>/letters/variants/<variant>")
@require("letters.edit")
def edit(breach_id: int, variant: str):
    breach = get_breach(breach_id)
    if not letters.VARIANT_NAME.fullmatch(variant):
        abort(404)
    current = letters.current_template(breach.id, variant)
    return _render_edit(breach, variant, current, _form_values(breach, current))


@bp.post("/breaches/<int:breach_id>/letters/variants/<variant>")
@require("letters.edit")
def save(breach_id: int, variant: str):
    breach = get_breach(breach_id)
    if not letters.VARIANT_NAME.fullmatch(variant):
        abort(404)
    current = letters.current_template(breach.id, variant)
    values = _submitted()
    try:
        letter_date = date.fromisoformat(values["letter_date"]) if values["letter_date"] else None
    except ValueError:
        flash(_("Date du courrier invalide."), "error")
        return _render_edit(breach, variant, current, values, 400)
    try:
        # A finite number of millimetres (NaN passed every check and was stored); save_template says where it fits.
        layout = {key: bounded_number(value, minimum=-1000, maximum=1000, decimal=True)
                  for key, value in values["layout"].items() if value.strip()}
    except ValueError:
        flash(_("Position de la fenêtre\u00a0: des nombres en millimètres."), "error")
        return _render_edit(breach, variant, current, values, 400)
    draft = letters.TemplateDraft(lang=values["lang"], audience=values["audience"], segments=values["segments"],
                                  texts=values["texts"], sender=values["sender"], layout=layout,
                                  letter_date=letter_date, retired=values["retired"], channel=values["channel"])
    try:
        template = letters.save_template(breach, current_user, variant, draft, config=current_app.config)
    except letters.LetterError as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return _render_edit(breach, variant, current, values, 400)
    db.session.commit()
    if current is not None and template.id == current.id:
        flash(_("Aucune modification\u00a0: la version %(n)s reste en vigueur.", n=template.version), "success")
    else:
        missing = letters.template_problems(template)
        if missing:
            flash(_("Version %(n)s enregistrée, incomplète\u00a0: elle ne pourra être ni approuvée ni utilisée "
                    "tant que les éléments de l'article 34(2) manquent.", n=template.version), "warning")
        else:
            flash(_("Version %(n)s enregistrée. Elle doit être approuvée par un juriste (autre que vous) avant "
                    "l'envoi ; en attendant, seuls des projets filigranés peuvent être générés.",
                    n=template.version), "success")
    return _back(breach, "variants-title")


@bp.get("/breaches/<int:breach_id>/letters/templates/<int:template_id>")
@require("letters.generate")
def show_template(breach_id: int, template_id: int):
    breach = get_breach(breach_id)
    template = _template(breach, template_id)
    return render_template("letters/template.html", breach=breach, template=template,
                           history=letters.versions(breach.id, template.variant),
                           reviews=letters.review_history(breach.id, template.variant),
                           changes=letters.changes_requested(template),
                           warnings=letters.plain_language_warnings(template.texts, template.lang, _lang()),
                           problems=letters.template_problems(template), current=letters.is_current(template),
                           letter_order=LETTER_ORDER, labels=letters.TEXT_LABELS, s=letter_strings(template.lang),
                           date_text=format_letter_date(template.letter_date, template.lang,
                                                        (template.sender or {}).get("city", "")))


@bp.post("/breaches/<int:breach_id>/letters/templates/<int:template_id>/approve")
@require("letters.approve")
def approve(breach_id: int, template_id: int):
    breach = get_breach(breach_id)
    template = _template(breach, template_id)
    if request.form.get("confirm") != "y":
        flash(_("Cochez la case de confirmation pour approuver\u00a0: rien n'a été enregistré."), "error")
        return redirect(url_for("letters.show_template", breach_id=breach.id, template_id=template.id,
                                _anchor="review-title"))
    try:
        letters.approve_template(template, current_user, request.form.get("comment", ""))
    except letters.LetterError as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return redirect(url_for("letters.show_template", breach_id=breach.id, template_id=template.id))
    db.session.commit()
    flash(_("Version %(n)s de la variante «\u00a0%(v)s\u00a0» approuvée.", n=template.version, v=template.variant),
          "success")
    return _back(breach, "variants-title")


@bp.post("/breaches/<int:breach_id>/letters/templates/<int:template_id>/request-changes")
@require("letters.approve")
def request_changes(breach_id: int, template_id: int):
    """Legal sends the version back to the DPO with a comment shown on the template."""
    breach = get_breach(breach_id)
    template = _template(breach, template_id)
    try:
        letters.request_changes(template, current_user, request.form.get("comment", ""))
    except letters.LetterError as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return redirect(url_for("letters.show_template", breach_id=breach.id, template_id=template.id,
                                _anchor="review-title"))
    db.session.commit()
    flash(_("Modifications demandées pour la version %(n)s de la variante «\u00a0%(v)s\u00a0»\u00a0: le DPO voit "
            "votre commentaire sur le modèle.", n=template.version, v=template.variant), "success")
    return _back(breach, "variants-title")


@bp.get("/breaches/<int:breach_id>/letters/templates/<int:template_id>/preview.pdf")
@require("letters.generate")
def preview(breach_id: int, template_id: int):
    breach = get_breach(breach_id)
    template = _template(breach, template_id)
    try:
        pdf, _shown = letters.preview(template, breach, request.args.get("patient") or None, user=current_user)
    except letters.LetterError as error:
        return render_template("error.html", code=404, message=error.message(_lang())), 404
    db.session.commit()
    disposition = "attachment" if request.args.get("download") else "inline"
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'{disposition}; filename="apercu-{template.variant}-v{template.version}.pdf"'})


# --- generation ---------------------------------------------------------------------------------------------------


@bp.post("/breaches/<int:breach_id>/letters/jobs")
@require("letters.generate")
def start(breach_id: int):
    breach = get_breach(breach_id)
    draft = request.form.get("draft") == "y"
    variant = request.form.get("variant") or None
    lot_size = form_int("lot_size", minimum=-MAX_ID) or letter_jobs.DEFAULT_LOT_SIZE  # start_job explains
    try:
        started = letter_jobs.start_job(breach, user=current_user, draft=draft, variant=variant, lot_size=lot_size,
                                        storage_dir=current_app.config["STORAGE_DIR"],
                                        only_new=request.form.get("only_new") == "y",
                                        duplex=request.form.get("duplex") == "y")
    except letter_jobs.GenerationRefused as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return _back(breach, "generate-title")
    from notifier.letters.runners import launch_in_background

    token = started.job.token
    launch_in_background(current_app._get_current_object(), started.job.id)
    flash(_("Génération reprise.") if started.resumed else _("Génération lancée."), "success")
    return redirect(url_for("letters.job", token=token))


@bp.post("/breaches/<int:breach_id>/letters/emails")
@require("letters.generate")
def send_emails(breach_id: int):
    """Start (or resume) the e-mail job: the approved e-mailed variants' text to every patient with an address."""
    breach = get_breach(breach_id)
    variant = request.form.get("variant") or None
    rate_text = (request.form.get("rate") or "").strip().replace(",", ".")
    try:
        rate = float(rate_text) if rate_text else None
    except ValueError:
        rate = -1.0  # start_email_job says what is allowed
    try:
        started = emails.start_email_job(breach, user=current_user, config=current_app.config, variant=variant,
                                         rate=rate)
    except emails.EmailRefused as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return _back(breach, "emails-title")
    from notifier.letters.runners import launch_in_background

    launch_in_background(current_app._get_current_object(), started.job.id)
    flash(_("Envoi de %(n)s courriel(s) lancé.", n=started.job.total), "success")
    return _back(breach, "emails-title")


@bp.post("/breaches/<int:breach_id>/letters/emails/bounces")
@require("letters.track")
def email_bounces(breach_id: int):
    """The bounces file (an mbox, one .eml or the relay's CSV) read by the same service as `notifier email bounces`:
    the bounced patients go back to paper; the page shows what each bounce became."""
    breach = get_breach(breach_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choisissez un fichier de retours (mbox, .eml ou CSV du relais)."), "error")
        return _back(breach, "bounces-title")
    dry_run = bool(request.form.get("dry_run"))
    max_bytes = int(current_app.config.get("EMAIL_BOUNCES_MAX_BYTES") or emails.BOUNCES_UPLOAD_MAX_BYTES)
    suffix = ".eml" if upload.filename.lower().endswith(".eml") else ".upload"
    with tempfile.TemporaryDirectory(prefix="notifier-bounces-") as folder:
        staged = Path(folder) / f"bounces{suffix}"
        try:
            _stage_upload(upload.stream, staged, max_bytes=max_bytes)
            bounces, read, ignored = emails.read_bounces(staged, max_bytes=max_bytes)
            result = emails.apply_bounces(breach, bounces, read=read, ignored=ignored, user=current_user,
                                          source=f"web:{upload.filename[:80]}", dry_run=dry_run)
        except letters.LetterError as error:
            db.session.rollback()
            flash(error.message(_lang()), "error")
            return _back(breach, "bounces-title")
    db.session.commit()
    return render_template("letters/bounces.html", breach=breach, result=result, filename=upload.filename,
                           dry_run=dry_run, outcomes=emails.BOUNCE_OUTCOMES, shown=emails.SHOWN_BOUNCES,
                           where=lambda position: emails.describe_position(position, _))


def _stage_upload(stream, path: Path, *, max_bytes: int) -> None:
    """Copy an upload to `path`, refusing it past `max_bytes` (read in blocks: never the whole file in memory)."""
    size = 0
    with open(path, "wb") as out:
        while block := stream.read(1 << 20):
            size += len(block)
            if size > max_bytes:
                raise emails.BounceFileError(N_("Retours trop volumineux (%(max)s Mio au plus)."),
                                             max=max_bytes >> 20)
            out.write(block)


@bp.get("/letters/jobs/<token>")
@require("letters.generate")
def job(token: str):
    found = _job(token)
    breach = get_breach(found.breach_id)
    if found.kind == JobKind.EMAIL:  # its progress is on the letters page, with the e-mails' states
        return _back(breach, "emails-title")
    return render_template("letters/job.html", breach=breach, job=found, state=letter_jobs.progress(found),
                           chunks=found.chunks, files_purged_at=patients.purged_at(breach.id))


@bp.get("/letters/jobs/<token>/status.json")
@require("letters.generate")
def job_status(token: str):
    found = _job(token)
    state = letter_jobs.progress(found)
    # Each lot's state, for the job page's table: a finished lot can be downloaded while the others are rendered.
    state["lot_states"] = [[number, status] for number, status in db.session.execute(
        select(LetterChunk.chunk_no, LetterChunk.status).where(LetterChunk.job_id == found.id)
        .order_by(LetterChunk.chunk_no))]
    return jsonify(state)


@bp.get("/letters/jobs/<token>/lots/<int:number>")
@require("letters.generate")
def lot(token: str, number: int):
    found = _job(token)
    path = letter_jobs.lot_download(found, number, user=current_user)
    if path is None:
        abort(404)
    db.session.commit()
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=lot_file_name(number),
                     max_age=0)


@bp.get("/letters/jobs/<token>/manifest.csv")
@require("letters.generate")
def manifest(token: str):
    found = _job(token)
    path = letter_jobs.manifest_download(found, user=current_user)
    if path is None:
        abort(404)
    db.session.commit()
    return send_file(path, mimetype="text/csv", as_attachment=True, download_name="manifest.csv", max_age=0)


@bp.post("/breaches/<int:breach_id>/letters/reprint")
@require("letters.generate")
def reprint(breach_id: int):
    breach = get_breach(breach_id)
    patient_id = (request.form.get("patient_id") or "").strip()
    try:
        found = letters.reprint(breach, patient_id, user=current_user, via="web")
    except letters.LetterError as error:
        flash(error.message(_lang()), "error")
        return _back(breach, "reprint-title")
    db.session.commit()
    return Response(found.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{found.reference}.pdf"', "X-Letter-SHA256": found.sha256})


# --- tracking -----------------------------------------------------------------------------------------------------


@bp.post("/breaches/<int:breach_id>/letters/track")
@require("letters.track")
def track(breach_id: int):
    breach = get_breach(breach_id)
    upload = request.files.get("file")
    default_status = request.form.get("status") or LetterStatus.RETURNED
    if default_status not in list(LetterStatus):
        abort(400)
    try:
        default_date = date.fromisoformat(request.form.get("date") or date.today().isoformat())
    except ValueError:
        flash(_("Date invalide."), "error")
        return _back(breach, "tracking-title")
    if upload is None or not upload.filename:
        flash(_("Choisissez un fichier CSV."), "error")
        return _back(breach, "tracking-title")
    max_bytes = int(current_app.config["TRACKING_MAX_BYTES"])
    stream = upload.stream  # werkzeug spools a large upload to a temporary file: read it as a stream
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    try:
        if size > int(current_app.config["TRACKING_INLINE_BYTES"]):
            # Long: staged and applied in the background, so that no upload holds a worker (issue 12, point 5).
            tracking.sweep()
            staged = tracking.stage(stream, max_bytes=max_bytes)
            started = tracking.begin(breach, staged, upload.filename, user=current_user,
                                     default_status=default_status, default_date=default_date, max_bytes=max_bytes)
            tracking.start_in_background(current_app._get_current_object(), started.id, lang=_lang())
            return redirect(url_for("letters.tracking_upload", breach_id=breach.id, upload_id=started.id))
        rows = letters.read_tracking_csv(stream, max_bytes=max_bytes)
        result = letters.apply_tracking(breach, rows, user=current_user, default_status=default_status,
                                        default_date=default_date, source=f"web:{upload.filename[:80]}")
    except letters.LetterError as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return _back(breach, "tracking-title")
    if result.problem_count:
        db.session.rollback()
        return render_template("letters/tracking_problems.html", breach=breach, result=result,
                               filename=upload.filename, lang=_lang()), 400
    db.session.commit()
    flash(_("%(n)s courrier(s) mis à jour.", n=result.updated), "success")
    return _back(breach, "tracking-title")


@bp.get("/breaches/<int:breach_id>/letters/tracking/<int:upload_id>")
@require("letters.track")
def tracking_upload(breach_id: int, upload_id: int):
    """A tracking file applied in the background: running (the page reloads itself), done, refused or failed."""
    breach = get_breach(breach_id)
    upload = tracking.get_upload(upload_id, breach)
    if upload is None:
        abort(404)
    return render_template("letters/tracking_upload.html", breach=breach, upload=upload,
                           problems=tracking.problem_messages(upload, _lang()))


@bp.post("/breaches/<int:breach_id>/letters/status")
@require("letters.track")
def set_status(breach_id: int):
    breach = get_breach(breach_id)
    status = request.form.get("status", "")
    if status not in list(LetterStatus):
        abort(400)
    try:
        when = date.fromisoformat(request.form.get("date") or date.today().isoformat())
    except ValueError:
        flash(_("Date invalide."), "error")
        return _back(breach, "tracking-title")
    result = letters.set_status(breach, request.form.get("reference", ""), status, user=current_user, when=when)
    if result.problems:
        db.session.rollback()
        flash(result.problems[0].message(_lang()), "error")
    else:
        db.session.commit()
        flash(_("Statut enregistré."), "success")
    return _back(breach, "tracking-title")


@bp.get("/breaches/<int:breach_id>/letters/held")
@require("patients.view")
def held(breach_id: int):
    breach = get_breach(breach_id)
    page = query_int("page", 1, maximum=MAX_PAGE)
    return render_template("letters/held.html", breach=breach, page=page, total=letters.held_count(breach.id),
                           patients=letters.held_patients(breach.id, limit=200, offset=(page - 1) * 200), holds=HOLDS)


@bp.get("/breaches/<int:breach_id>/letters/public-notice.pdf")
@require("letters.generate")
def public_notice(breach_id: int):
    breach = get_breach(breach_id)
    lang = request.args.get("lang") if request.args.get("lang") in letters.LANGUAGES else "fr"
    try:
        pdf = letters.public_notice_pdf(breach, lang, user=current_user, via="web")
    except letters.LetterError as error:
        flash(error.message(_lang()), "error")
        return _back(breach, "notice-title")
    db.session.commit()
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="avis-public-{breach.reference}.pdf"'})


@bp.post("/breaches/<int:breach_id>/letters/public-notice/replace")
@require("letters.track")
def replace_by_notice(breach_id: int):
    breach = get_breach(breach_id)
    count = letters.replace_returned_by_notice(breach, user=current_user)
    db.session.commit()
    flash(_("%(n)s courrier(s) revenu(s) remplacé(s) par l'avis public.", n=count), "success")
    return _back(breach, "notice-title")


# --- returned mail (issue 14 part 3, issue 13 point 11) -------------------------------------------------------------


@bp.get("/breaches/<int:breach_id>/letters/returned")
@require("patients.view")
def returned(breach_id: int):
    """The returned letters (NPAI) and their outcome: to handle (new address and re-send, or the public notice),
    re-sent (with the new letter's reference and status), replaced by the public notice."""
    breach = get_breach(breach_id)
    outcome = request.args.get("outcome") if request.args.get("outcome") in returns.OUTCOMES else None
    page = query_int("page", 1, maximum=MAX_PAGE)
    rows, total = returns.returned_letters(breach, outcome=outcome, page=page)
    return render_template("letters/returned.html", breach=breach, rows=rows, total=total, page=page,
                           page_size=returns.PAGE_SIZE, outcome=outcome, counts=returns.outcome_counts(breach.id),
                           fields=returns.ADDRESS_FIELDS, field_labels=FIELDS, errors={}, values={})


def _returned_letter(breach, letter_id: int):
    letter = returns.get_returned(breach, letter_id)
    if letter is None:
        abort(404)
    return letter


@bp.post("/breaches/<int:breach_id>/letters/returned/<int:letter_id>/resend")
@require("patients.fix")
def resend(breach_id: int, letter_id: int):
    """The new address of a returned letter, checked as at import, and a new letter with its own reference."""
    breach = get_breach(breach_id)
    letter = _returned_letter(breach, letter_id)
    given = {field: request.form.get(field, "")[:300] for field in returns.ADDRESS_FIELDS}
    try:
        change = returns.resend(breach, letter, given, user=current_user, lang=_lang())
    except letters.LetterError as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return redirect(url_for("letters.returned", breach_id=breach.id))
    if change.errors:
        db.session.rollback()
        rows, total = returns.returned_letters(breach)
        return render_template("letters/returned.html", breach=breach, rows=rows, total=total, page=1,
                               page_size=returns.PAGE_SIZE, outcome=None, counts=returns.outcome_counts(breach.id),
                               fields=returns.ADDRESS_FIELDS, field_labels=FIELDS,
                               errors={letter.id: change.errors}, values={letter.id: given}), 400
    db.session.commit()
    if change.replacement is not None:
        reference = letters.letter_reference(breach.reference, change.replacement.number)
        flash(_("Nouvelle adresse enregistrée\u00a0: le courrier est renvoyé sous la référence %(reference)s\u00a0; "
                "il partira avec la prochaine génération «\u00a0nouveaux courriers seulement\u00a0».",
                reference=reference), "success")
    else:
        flash(_("Nouvelle adresse enregistrée."), "success")
    return redirect(url_for("letters.returned", breach_id=breach.id))


@bp.post("/breaches/<int:breach_id>/letters/returned/<int:letter_id>/email")
@require("letters.generate")
def returned_by_email(breach_id: int, letter_id: int):
    """GDPR art. 34(1): this returned letter is replaced by one e-mail of the approved text (once per patient)."""
    breach = get_breach(breach_id)
    letter = _returned_letter(breach, letter_id)
    try:
        job = returns.email_returned(breach, letter, user=current_user, config=current_app.config)
    except letters.LetterError as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return redirect(url_for("letters.returned", breach_id=breach.id))
    db.session.commit()
    if job is not None:
        from notifier.letters.runners import launch_in_background

        launch_in_background(current_app._get_current_object(), job.id)
        flash(_("Envoi du courriel lancé, avec la référence du courrier ; son état suit sur cette page."),
              "success")
    else:
        flash(_("Ce patient a déjà son courriel (envoyé, ou en cours d'envoi) : rien n'est envoyé deux fois."),
              "info")
    return redirect(url_for("letters.returned", breach_id=breach.id, _anchor=f"returned-{letter.id}"))


@bp.post("/breaches/<int:breach_id>/letters/returned/<int:letter_id>/public-notice")
@require("letters.track")
def returned_to_notice(breach_id: int, letter_id: int):
    """GDPR art. 34(3)(c): this returned letter is replaced by the public communication."""
    breach = get_breach(breach_id)
    letter = _returned_letter(breach, letter_id)
    try:
        returns.mark_public_notice(breach, letter, user=current_user)
    except letters.LetterError as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
    else:
        db.session.commit()
        flash(_("Courrier signalé pour l'avis public."), "success")
    return redirect(url_for("letters.returned", breach_id=breach.id))
