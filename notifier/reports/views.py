"""Regulator reports on the breach page: generate a new version, download any earlier one bit for bit.

Generating needs report.generate (DPO, legal). Downloading needs breach.view, like the breach page and its JSON
export, whose content the report presents: a version is looked up by its id and served only to users of its own
organisation (404 otherwise); the file name on disk is random and never appears in a URL."""

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from notifier.breaches.access import get_breach
from notifier.core.web import require
from notifier.extensions import db
from notifier.reports import services as reports
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
