"""The case of a breach: its page (plan, evidence vault, timeline, exchanges), the forms that change it, the evidence
downloads, the dossier and the administrator's plan template; the breach page's panel and the dashboard's "my tasks"
through context processors (templates/cases/_panel.html, _my_tasks.html), so that breaches never imports cases.

Reading needs breach.view (the evidence too: "roles that may see the breach"); changes need case.edit, deleting a
piece of evidence case.evidence_delete, the dossier case.export, the template admin.manage. Every lookup is scoped
to the user's organisation (404 otherwise). Files are always served as attachments, application/octet-stream and
nosniff: never rendered by the browser; thumbnails are PNGs the server re-encoded (their views audited once per user,
piece and day). Every form is a Flask-WTF class of cases/forms.py: a refused one flashes its first problem and
changes nothing."""

from urllib.parse import quote

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from notifier.breaches.access import get_breach
from notifier.cases import dossier, forms, vault
from notifier.cases import services as cases
from notifier.cases.rules import plan as plan_rules
from notifier.cases.states import Direction, ExchangeStatus, Party, TaskStatus, TimelineKind
from notifier.core.web import require, user_lang
from notifier.extensions import db

bp = Blueprint("cases", __name__)
bp.add_app_template_global(TaskStatus, "TaskStatus")
bp.add_app_template_global(ExchangeStatus, "ExchangeStatus")


def _period() -> int:
    return current_app.config["CNIL_PERIOD_HOURS"]


@bp.app_context_processor
def _case_helpers():
    def case_panel(breach):
        return {"plan": cases.plan_view(breach, period_hours=_period()), "timeline": cases.timeline(breach),
                "exchanges": cases.exchanges(breach)}

    def my_case_tasks():
        if not current_user.is_authenticated:
            return []
        return cases.my_tasks(current_user, period_hours=_period())

    return {"case_panel": case_panel, "my_case_tasks": my_case_tasks, "event_text": cases.event_text,
            "case_timeline_text": lambda breach: cases.timeline_text(breach, user_lang()),
            "task_title": lambda title: plan_rules.task_title(title, user_lang()),
            "case_labels": {"status": cases.TASK_STATUS_LABELS, "party": cases.PARTY_LABELS,
                            "kind": cases.KIND_LABELS, "exchange": cases.EXCHANGE_STATUS_LABELS,
                            "direction": cases.DIRECTION_LABELS, "anchor": plan_rules.ANCHORS}}


def _back(breach_id: int, anchor: str):
    return redirect(url_for("cases.show", breach_id=breach_id, _anchor=anchor))


def _refused(error: cases.CaseInputError, breach_id: int, anchor: str):
    db.session.rollback()
    flash(error.message(user_lang()), "error")
    return _back(breach_id, anchor)


def _form_refused(form, breach_id: int, anchor: str):
    """A form that did not validate: its first problem flashed, back to the part of the page it belongs to."""
    db.session.rollback()
    flash(forms.first_error(form) or _("Formulaire invalide\u00a0: rechargez la page."), "error")
    return _back(breach_id, anchor)


def _members(breach):
    from sqlalchemy import select

    from notifier.accounts.models import User

    return db.session.scalars(select(User).where(User.organisation_id == breach.organisation_id,
                                                 User.active.is_(True), User.role.in_(("dpo", "legal")))
                              .order_by(User.email)).all()


@bp.get("/breaches/<int:breach_id>/case")
@require("breach.view")
def show(breach_id: int):
    breach = get_breach(breach_id)
    return render_template(
        "cases/show.html", breach=breach, plan=cases.plan_view(breach, period_hours=_period()),
        evidence=cases.evidence_list(breach), events=cases.timeline(breach), exchanges=cases.exchanges(breach),
        members=_members(breach), anchors=plan_rules.ANCHORS, statuses=list(TaskStatus), kinds=list(TimelineKind),
        parties=list(Party), directions=list(Direction), facts=cases.timeline_text(breach, user_lang()),
        max_mb=current_app.config["EVIDENCE_MAX_BYTES"] // (1024 * 1024), format_offset=plan_rules.format_offset)


@bp.post("/breaches/<int:breach_id>/case/tasks")
@require("case.edit")
def add_task(breach_id: int):
    breach = get_breach(breach_id)
    form = forms.TaskForm(owners=cases.owner_ids(breach))
    if not form.validate_on_submit():
        return _form_refused(form, breach.id, "plan-title")
    try:
        task = cases.add_task(breach, current_user, title=form.title.data, owner_id=form.owner,
                              due=form.due_at.data, anchor=form.anchor.data or None, offset=form.offset.data,
                              notes=form.notes.data or "")
    except cases.CaseInputError as error:
        return _refused(error, breach.id, "plan-title")
    db.session.commit()
    flash(_("Tâche ajoutée au plan d'action."), "success")
    return _back(breach.id, f"task-{task.id}")


@bp.post("/breaches/<int:breach_id>/case/tasks/<int:task_id>")
@require("case.edit")
def update_task(breach_id: int, task_id: int):
    breach = get_breach(breach_id)
    task = cases.get_task(task_id, breach)
    if task is None:
        return render_template("error.html", code=404, message=_("Page introuvable.")), 404
    form = forms.TaskUpdateForm(owners=cases.owner_ids(breach))
    if not form.validate_on_submit():
        return _form_refused(form, breach.id, f"task-{task_id}")
    posted = forms.submitted
    try:
        cases.update_task(task, breach, current_user, status=form.status.data or None,
                          owner_id=(form.owner or 0) if posted(form.owner_id) else None,
                          due=form.due_at.data if posted(form.due_at) else None,
                          anchor=form.anchor.data if posted(form.anchor) else None, offset=form.offset.data,
                          notes=form.notes.data if posted(form.notes) else None)
    except cases.CaseInputError as error:
        return _refused(error, breach.id, f"task-{task_id}")
    db.session.commit()
    flash(_("Tâche enregistrée."), "success")
    return _back(breach.id, f"task-{task.id}")


@bp.post("/breaches/<int:breach_id>/case/evidence")
@require("case.edit")
def upload(breach_id: int):
    breach = get_breach(breach_id)
    form = forms.EvidenceForm()
    upload = request.files.get("file")
    try:
        if not form.validate_on_submit():
            return _form_refused(form, breach.id, "evidence-title")
        evidence = cases.add_evidence(breach, current_user, filename=upload.filename, stream=upload.stream,
                                      max_bytes=current_app.config["EVIDENCE_MAX_BYTES"],
                                      description=form.description.data or "")
    except cases.CaseInputError as error:
        return _refused(error, breach.id, "evidence-title")
    finally:
        if upload is not None:
            upload.close()  # a large upload is spooled to a temporary file: closed now, not by the garbage collector
    db.session.commit()
    flash(_("Pièce versée au coffre, chiffrée. SHA-256\u00a0: %(sha)s", sha=evidence.sha256), "success")
    return _back(breach.id, f"evidence-{evidence.id}")


def _evidence_or_404(evidence_id: int):
    evidence = cases.get_evidence(evidence_id, current_user.organisation_id)
    if evidence is None:
        return None, (render_template("error.html", code=404, message=_("Page introuvable.")), 404)
    return evidence, None


def _attachment_name(name: str) -> str:
    ascii_name = "".join(ch if 32 < ord(ch) < 127 and ch not in '"\\;' else "_" for ch in name) or "fichier"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


@bp.get("/evidence/<int:evidence_id>")
@require("breach.view")
def download(evidence_id: int):
    evidence, missing = _evidence_or_404(evidence_id)
    if missing:
        return missing
    if evidence.deleted_at is not None:
        return render_template("error.html", code=410, message=_("Cette pièce a été supprimée du coffre.")), 410
    try:
        data = cases.download_evidence(evidence, user=current_user, via="web")
    except vault.VaultError:
        db.session.rollback()
        return render_template("error.html", code=500, message=_(
            "Le fichier chiffré de cette pièce est absent ou altéré\u00a0: il n'est pas servi. Prévenez "
            "l'administrateur (restauration depuis la sauvegarde, ou clé retirée).")), 500
    db.session.commit()
    return Response(data, mimetype="application/octet-stream", headers={
        "Content-Disposition": _attachment_name(evidence.filename), "X-Content-Type-Options": "nosniff",
        "X-Content-SHA256": evidence.sha256, "Cache-Control": "no-store",
        "Content-Security-Policy": "default-src 'none'; sandbox"})


@bp.get("/evidence/<int:evidence_id>/thumbnail")
@require("breach.view")
def thumbnail(evidence_id: int):
    evidence, missing = _evidence_or_404(evidence_id)
    if missing:
        return missing
    data = cases.evidence_thumbnail(evidence, user=current_user)
    if data is None:
        return render_template("error.html", code=404, message=_("Page introuvable.")), 404
    db.session.commit()
    return Response(data, mimetype="image/png", headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store",
        "Content-Disposition": 'inline; filename="thumbnail.png"'})


@bp.post("/evidence/<int:evidence_id>/delete")
@require("case.evidence_delete")
def delete(evidence_id: int):
    evidence, missing = _evidence_or_404(evidence_id)
    if missing:
        return missing
    breach = get_breach(evidence.breach_id)
    form = forms.DeleteEvidenceForm()
    if not form.validate_on_submit():
        return _form_refused(form, breach.id, f"evidence-{evidence.id}")
    try:
        cases.delete_evidence(evidence, breach, current_user, form.reason.data)
    except cases.CaseInputError as error:
        return _refused(error, breach.id, f"evidence-{evidence.id}")
    db.session.commit()
    flash(_("Pièce supprimée\u00a0; son empreinte et le motif restent au dossier."), "success")
    return _back(breach.id, f"evidence-{evidence.id}")


@bp.post("/breaches/<int:breach_id>/case/timeline")
@require("case.edit")
def add_event(breach_id: int):
    breach = get_breach(breach_id)
    form = forms.EventForm()
    if not form.validate_on_submit():
        return _form_refused(form, breach.id, "timeline-title")
    try:
        event = cases.add_event(breach, current_user, occurred_at=form.occurred_at.data,
                                kind=form.kind.data or TimelineKind.OTHER, description=form.description.data,
                                evidence_ids=form.evidence_ids.data or [])
    except cases.CaseInputError as error:
        return _refused(error, breach.id, "timeline-title")
    db.session.commit()
    flash(_("Événement ajouté à la chronologie."), "success")
    return _back(breach.id, f"event-{event.id}")


@bp.post("/breaches/<int:breach_id>/case/exchanges")
@require("case.edit")
def add_exchange(breach_id: int):
    breach = get_breach(breach_id)
    form = forms.ExchangeForm()
    if not form.validate_on_submit():
        return _form_refused(form, breach.id, "exchanges")
    try:
        exchange = cases.add_exchange(
            breach, current_user, direction=form.direction.data, party=form.party.data,
            occurred_at=form.occurred_at.data, subject=form.subject.data, reference=form.reference.data or "",
            notes=form.notes.data or "", reply_by=form.reply_by.data, evidence_ids=form.evidence_ids.data or [])
    except cases.CaseInputError as error:
        return _refused(error, breach.id, "exchanges")
    db.session.commit()
    flash(_("Échange enregistré."), "success")
    return _back(breach.id, f"exchange-{exchange.id}")


@bp.post("/breaches/<int:breach_id>/case/exchanges/<int:exchange_id>/answered")
@require("case.edit")
def answered(breach_id: int, exchange_id: int):
    breach = get_breach(breach_id)
    exchange = cases.get_exchange(exchange_id, breach)
    if exchange is None:
        return render_template("error.html", code=404, message=_("Page introuvable.")), 404
    form = forms.AnsweredForm()
    if not form.validate_on_submit():
        return _form_refused(form, breach.id, f"exchange-{exchange_id}")
    try:
        cases.answer_exchange(exchange, breach, current_user, answered_at=form.answered_at.data)
    except cases.CaseInputError as error:
        return _refused(error, breach.id, f"exchange-{exchange_id}")
    db.session.commit()
    flash(_("Réponse enregistrée\u00a0: l'échange n'attend plus de réponse."), "success")
    return _back(breach.id, f"exchange-{exchange.id}")


@bp.get("/breaches/<int:breach_id>/dossier.zip")
@require("case.export")
def export_dossier(breach_id: int):
    breach = get_breach(breach_id)
    try:
        data = dossier.export(breach, user=current_user, lang=user_lang(), via="web", period_hours=_period())
    except dossier.DossierError as error:
        db.session.rollback()
        return render_template("error.html", code=500, message=error.message(user_lang())), 500
    db.session.commit()
    return Response(data, mimetype="application/zip", headers={
        "Content-Disposition": f'attachment; filename="{dossier.filename(breach)}"', "Cache-Control": "no-store"})


@bp.route("/admin/plan-template", methods=["GET", "POST"])
@require("admin.manage")
def plan_template():
    form = forms.PlanTemplateForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(forms.first_error(form) or _("Formulaire invalide\u00a0: rechargez la page."), "error")
            return redirect(url_for("cases.plan_template"))
        if form.reset.data:
            cases.reset_plan_template(current_user)
            db.session.commit()
            flash(_("Plan type rétabli\u00a0: le plan par défaut d'un établissement de santé s'applique."), "success")
            return redirect(url_for("cases.plan_template"))
        rows = []
        for number, row in enumerate(form.row_forms(request.form), start=1):
            if row.delete.data:
                continue
            if not row.validate():
                flash(_("Ligne %(number)s\u00a0: %(problem)s", number=number, problem=forms.first_error(row)),
                      "error")
                return redirect(url_for("cases.plan_template"))
            rows.append({"title": row.title.data or "", "anchor": row.anchor.data or "",
                         "offset": row.offset.data or "", "owner_role": row.owner_role.data or "",
                         "nis2_only": "1" if row.nis2_only.data else ""})
        try:
            cases.save_plan_template(current_user, rows, user_lang())
        except cases.CaseInputError as error:
            db.session.rollback()
            flash(error.message(user_lang()), "error")
            return redirect(url_for("cases.plan_template"))
        db.session.commit()
        flash(_("Plan type enregistré\u00a0: il s'appliquera aux nouvelles violations."), "success")
        return redirect(url_for("cases.plan_template"))
    organisation_id = current_user.organisation_id
    return render_template("cases/plan_template.html", items=cases.plan_template(organisation_id),
                           default=cases.is_default_template(organisation_id), anchors=plan_rules.ANCHORS,
                           roles=plan_rules.OWNER_ROLES, format_offset=plan_rules.format_offset, blank=3)
