"""The case of a breach: its page (plan, evidence vault, timeline, exchanges), the forms that change it, the evidence
downloads, the dossier and the administrator's plan template; the breach page's panel and the dashboard's "my tasks"
through context processors (templates/cases/_panel.html, _my_tasks.html), so that breaches never imports cases.

Reading needs breach.view (the evidence too: "roles that may see the breach"); changes need case.edit, deleting a
piece of evidence case.evidence_delete, the dossier case.export, the template admin.manage. Every lookup is scoped
to the user's organisation (404 otherwise). Files are always served as attachments, application/octet-stream and
nosniff: never rendered by the browser; thumbnails are PNGs the server re-encoded."""

from urllib.parse import quote

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from notifier.breaches.access import get_breach
from notifier.cases import dossier, vault
from notifier.cases import services as cases
from notifier.cases.rules import plan as plan_rules
from notifier.cases.states import Direction, ExchangeStatus, Party, TaskStatus, TimelineKind
from notifier.core.web import form_int, require, user_lang
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


def _ids(name: str) -> list[int]:
    ids = []
    for value in request.form.getlist(name):
        if value.isdigit() and len(value) < 10:
            ids.append(int(value))
    return ids


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
    form = request.form
    try:
        task = cases.add_task(breach, current_user, title=form.get("title", ""),
                              owner_id=form_int("owner_id"),
                              due=form.get("due_at"), anchor=form.get("anchor") or None, offset=form.get("offset"),
                              notes=form.get("notes", ""))
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
    form = request.form
    try:
        cases.update_task(task, breach, current_user, status=form.get("status") or None,
                          owner_id=form_int("owner_id", 0, minimum=0) if "owner_id" in form else None,
                          due=form.get("due_at") if "due_at" in form else None,
                          anchor=form.get("anchor") if "anchor" in form else None, offset=form.get("offset"),
                          notes=form.get("notes") if "notes" in form else None)
    except cases.CaseInputError as error:
        return _refused(error, breach.id, f"task-{task_id}")
    db.session.commit()
    flash(_("Tâche enregistrée."), "success")
    return _back(breach.id, f"task-{task.id}")


@bp.post("/breaches/<int:breach_id>/case/evidence")
@require("case.edit")
def upload(breach_id: int):
    breach = get_breach(breach_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choisissez un fichier à verser au dossier."), "error")
        return _back(breach.id, "evidence-title")
    try:
        evidence = cases.add_evidence(breach, current_user, filename=upload.filename, stream=upload.stream,
                                      max_bytes=current_app.config["EVIDENCE_MAX_BYTES"],
                                      description=request.form.get("description", ""))
    except cases.CaseInputError as error:
        return _refused(error, breach.id, "evidence-title")
    finally:
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
    try:
        cases.delete_evidence(evidence, breach, current_user, request.form.get("reason", ""))
    except cases.CaseInputError as error:
        return _refused(error, breach.id, f"evidence-{evidence.id}")
    db.session.commit()
    flash(_("Pièce supprimée\u00a0; son empreinte et le motif restent au dossier."), "success")
    return _back(breach.id, f"evidence-{evidence.id}")


@bp.post("/breaches/<int:breach_id>/case/timeline")
@require("case.edit")
def add_event(breach_id: int):
    breach = get_breach(breach_id)
    try:
        event = cases.add_event(breach, current_user, occurred_at=request.form.get("occurred_at"),
                                kind=request.form.get("kind", TimelineKind.OTHER),
                                description=request.form.get("description", ""), evidence_ids=_ids("evidence_ids"))
    except cases.CaseInputError as error:
        return _refused(error, breach.id, "timeline-title")
    db.session.commit()
    flash(_("Événement ajouté à la chronologie."), "success")
    return _back(breach.id, f"event-{event.id}")


@bp.post("/breaches/<int:breach_id>/case/exchanges")
@require("case.edit")
def add_exchange(breach_id: int):
    breach = get_breach(breach_id)
    form = request.form
    try:
        exchange = cases.add_exchange(
            breach, current_user, direction=form.get("direction", ""), party=form.get("party", ""),
            occurred_at=form.get("occurred_at"), subject=form.get("subject", ""), reference=form.get("reference", ""),
            notes=form.get("notes", ""), reply_by=form.get("reply_by"), evidence_ids=_ids("evidence_ids"))
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
    try:
        cases.answer_exchange(exchange, breach, current_user, answered_at=request.form.get("answered_at"))
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
    if request.method == "POST":
        if request.form.get("reset"):
            cases.reset_plan_template(current_user)
            db.session.commit()
            flash(_("Plan type rétabli\u00a0: le plan par défaut d'un établissement de santé s'applique."), "success")
            return redirect(url_for("cases.plan_template"))
        rows = []
        count = min(int(request.form.get("rows", "0") or 0) if request.form.get("rows", "").isdigit() else 0, 200)
        for index in range(count):
            if request.form.get(f"delete-{index}"):
                continue
            rows.append({name: request.form.get(f"{name}-{index}", "") for name in
                         ("title", "anchor", "offset", "owner_role", "nis2_only")})
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
