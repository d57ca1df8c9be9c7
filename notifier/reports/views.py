"""Regulator reports on the breach page: generate a new version, download any earlier one bit for bit.

Generating needs report.generate (DPO, legal). Downloading needs breach.view, like the breach page and its JSON
export, whose content the report presents: a version is looked up by its id and served only to users of its own
organisation (404 otherwise); the file name on disk is random and never appears in a URL."""

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from notifier.breaches import services as breach_service
from notifier.breaches.access import get_breach
from notifier.core.web import require
from notifier.extensions import db
from notifier.reports import cnil_entry
from notifier.reports import services as reports
from notifier.reports.forms import AcknowledgementForm
from notifier.reports.states import ReportDocument, ReportKind

bp = Blueprint("reports", __name__)
bp.add_app_template_global(ReportKind, "ReportKind")


@bp.app_context_processor
def _report_helpers():
    def report_panel(breach):
        return reports.panel(breach, period_hours=current_app.config["CNIL_PERIOD_HOURS"])

    return {"report_panel": report_panel}


@bp.post("/breaches/<int:breach_id>/reports")
@require("report.generate")
def generate(breach_id: int):
    breach = get_breach(breach_id)
    lang = str(get_locale() or "fr")
    try:
        version = reports.generate(
            breach, user=current_user, document=request.form.get("document", ReportDocument.CNIL),
            kind=request.form.get("kind") or None, lang=request.form.get("lang") or "fr",
            period_hours=current_app.config["CNIL_PERIOD_HOURS"])
    except reports.ReportError as error:
        db.session.rollback()
        flash(error.message(lang), "error")
        return redirect(url_for("breaches.show", breach_id=breach.id, _anchor="reports-title"))
    flash(_("Version %(number)s générée. SHA-256 : %(sha)s", number=version.number, sha=version.sha256), "success")
    return redirect(url_for("breaches.show", breach_id=breach.id, _anchor="reports-title"))


@bp.get("/reports/<int:version_id>")
@require("breach.view")
def download(version_id: int):
    version = reports.get_version(version_id, current_user.organisation_id)
    if version is None:
        return render_template("error.html", code=404, message=_("Page introuvable.")), 404
    try:
        data = reports.download_version(version, user=current_user)
    except reports.ArchiveCorrupted:
        db.session.commit()
        return render_template("error.html", code=500, message=_(
            "Le fichier archivé de cette version est absent ou ne correspond plus à son empreinte SHA-256 : il "
            "n'est pas servi. Prévenez l'administrateur (restauration depuis la sauvegarde).")), 500
    db.session.commit()
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{version.filename}"',
        "X-Content-SHA256": version.sha256,
    })


# --- "Saisie sur notifications.cnil.fr": the CNIL online form, field by field -------------------------------------

@bp.get("/breaches/<int:breach_id>/cnil-entry")
@require("breach.view")
def cnil_entry_page(breach_id: int):
    breach = get_breach(breach_id)
    lang = str(get_locale() or "fr")
    sheet = cnil_entry.sheet_for(breach, lang=lang, period_hours=current_app.config["CNIL_PERIOD_HOURS"])
    form = AcknowledgementForm(reference=sheet.cnil_reference, sent_at=sheet.cnil_sent_at, version=breach.version)
    return render_template("reports/cnil_entry.html", breach=breach, sheet=sheet, form=form, errors={})


@bp.get("/breaches/<int:breach_id>/cnil-entry.pdf")
@require("breach.view")
def cnil_entry_pdf(breach_id: int):
    breach = get_breach(breach_id)
    pdf = cnil_entry.sheet_pdf(breach, user=current_user, lang=str(get_locale() or "fr"),
                               period_hours=current_app.config["CNIL_PERIOD_HOURS"])
    db.session.commit()
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{breach.reference}-saisie-cnil.pdf"'})


@bp.post("/breaches/<int:breach_id>/cnil-entry/acknowledgement")
@require("breach.edit")
def cnil_acknowledgement(breach_id: int):
    breach = get_breach(breach_id)
    lang = str(get_locale() or "fr")
    form = AcknowledgementForm()
    errors: dict[str, str] = {}
    if form.validate_on_submit():
        version = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            result = cnil_entry.record_acknowledgement(
                breach, reference=form.reference.data or "", sent_at=form.sent_at.data or "", user=current_user,
                expected_version=version, period_hours=current_app.config["CNIL_PERIOD_HOURS"])
        except breach_service.StaleBreachError:
            flash(_("Quelqu'un a modifié cette violation entre-temps\u00a0: rechargez la page."), "error")
            return redirect(url_for("reports.cnil_entry_page", breach_id=breach.id))
        if result.ok:
            db.session.commit()
            flash(_("Envoi à la CNIL et accusé de réception enregistrés."), "success")
            return redirect(url_for("reports.cnil_entry_page", breach_id=breach.id, _anchor="acknowledgement"))
        db.session.rollback()
        names = {"cnil_reference": "reference", "cnil_sent_at": "sent_at", "delay_reasons": "sent_at"}
        errors = {names.get(name, "sent_at"): error.message(lang) for name, error in result.errors.items()}
    sheet = cnil_entry.sheet_for(breach, lang=lang, period_hours=current_app.config["CNIL_PERIOD_HOURS"])
    return render_template("reports/cnil_entry.html", breach=breach, sheet=sheet, form=form, errors=errors), 422
