"""The hotline desk in the browser (issue 17): search one patient, read the approved call script, log calls; the
call script's versions and their approval; calls counted by reason and day, with a chart and a CSV export.

Searches are POSTed (names and birth dates stay out of URLs, logs and the browser's history) and the patient found
is shown on that response only: there is no URL per patient that a desk user could walk through. The call form
carries a signed, short-lived token naming the patient found (itsdangerous, the app's secret key)."""

from datetime import date

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from notifier.breaches.access import get_breach
from notifier.breaches.models import Breach
from notifier.core.errors import Refusal
from notifier.core.web import require
from notifier.core.web import user_lang as _lang
from notifier.extensions import db
from notifier.hotline import charts
from notifier.hotline import services as hotline
from notifier.hotline.models import CallScript
from notifier.hotline.states import CallOutcome, CallReason
from notifier.letters.emails import STATUS_LABELS as EMAIL_STATUS_LABELS
from notifier.letters.services import STATUS_LABELS, letter_reference
from notifier.patients.models import Patient

bp = Blueprint("hotline", __name__, url_prefix="/hotline")
TOKEN_SECONDS = 3600  # a call is logged within the hour of the search


def _signer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="hotline-patient")


def _token(breach: Breach, patient: Patient) -> str:
    return _signer().dumps({"b": breach.id, "p": patient.id, "u": current_user.id})


def _patient_of(breach: Breach, token: str | None) -> Patient | None:
    if not token:
        return None
    try:
        data = _signer().loads(token, max_age=TOKEN_SECONDS)
    except BadSignature:
        abort(400)
    if not isinstance(data, dict) or data.get("b") != breach.id or data.get("u") != current_user.id:
        abort(400)
    patient = db.session.get(Patient, data.get("p"))
    if patient is None or patient.breach_id != breach.id:
        abort(404)
    return patient


def _breaches():
    return db.session.scalars(select(Breach).where(Breach.organisation_id == current_user.organisation_id)
                              .order_by(Breach.created_at.desc())).all()


def _common() -> dict:
    return {"reason_labels": hotline.REASON_LABELS, "outcome_labels": hotline.OUTCOME_LABELS,
            "sections": hotline.SECTIONS, "letter_status_labels": STATUS_LABELS,
            "email_status_labels": EMAIL_STATUS_LABELS,
            "reasons": list(CallReason), "outcomes": list(CallOutcome)}


@bp.route("/")
@require("hotline.desk")
def index():
    return render_template("hotline/index.html", breaches=_breaches(), **_common())


@bp.route("/breaches/<int:breach_id>")
@require("hotline.desk")
def desk(breach_id: int):
    breach = get_breach(breach_id)
    return render_template("hotline/desk.html", breach=breach, script=hotline.approved_script(breach.id),
                           **_common())


def _birth_date(text: str | None) -> date | None:
    from notifier.letters.services import parse_date

    return parse_date(text or "")


@bp.route("/search", methods=["POST"])
@require("hotline.desk")
def search():
    """One patient or none: by reference (any breach of the organisation), or by last name + birth date within the
    breach chosen."""
    reference = (request.form.get("reference") or "").strip()
    if reference:
        found = hotline.find_by_reference(current_user.organisation_id, reference)
        how = "reference"
    else:
        breach = get_breach(_int(request.form.get("breach_id")))
        birth = _birth_date(request.form.get("birth_date"))
        last_name = (request.form.get("last_name") or "").strip()[:200]
        if not last_name or birth is None:
            flash(_("Saisissez le nom de famille et la date de naissance (JJ/MM/AAAA), ou la référence du courrier."),
                  "error")
            return redirect(url_for("hotline.desk", breach_id=breach.id))
        found = hotline.find_by_name(breach, last_name, birth, (request.form.get("first_name") or "").strip()[:200])
        how = "name"
    breach = found.breach
    hotline.record_lookup(current_user, found, how)
    db.session.commit()
    if found.patient is None:
        if found.ambiguous:
            flash(_("Plusieurs personnes correspondent\u00a0: demandez la référence imprimée sur le courrier ou, à "
                    "défaut, le prénom, et recherchez de nouveau."), "warning")
        else:
            flash(_("Aucun patient ne correspond. Vérifiez l'orthographe, la date de naissance ou la référence."),
                  "warning")
        if breach is not None:
            return redirect(url_for("hotline.desk", breach_id=breach.id))
        return redirect(url_for("hotline.index"))
    return _patient_page(breach, found.patient, how)


def _patient_page(breach: Breach, patient: Patient, how: str, status: int = 200):
    return render_template("hotline/patient.html", breach=breach, patient=patient, how=how,
                           letter=hotline.letter_of(patient, breach), script=hotline.approved_script(breach.id),
                           calls=hotline.calls_of(patient), token=_token(breach, patient), **_common()), status


def _int(text: str | None) -> int:
    try:
        value = int((text or "").strip())
    except ValueError:
        abort(400)
    if not 1 <= value <= 2**31 - 1:
        abort(400)
    return value


@bp.route("/breaches/<int:breach_id>/calls", methods=["POST"])
@require("hotline.desk")
def log_call(breach_id: int):
    breach = get_breach(breach_id)
    patient = _patient_of(breach, request.form.get("token"))
    try:
        call = hotline.log_call(breach, current_user, reason=request.form.get("reason", ""),
                                outcome=request.form.get("outcome", ""), note=request.form.get("note", ""),
                                patient=patient, new_address=hotline.parse_address(request.form.get("new_address")),
                                lang=_lang())
    except Refusal as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        if patient is not None:  # the same patient's page again: the agent corrects it with the caller on the line
            return _patient_page(breach, db.session.get(Patient, patient.id), "call", status=400)
        return redirect(url_for("hotline.desk", breach_id=breach.id))
    db.session.commit()
    flash(_("Appel enregistré."), "success")
    change = call.address_change
    if change is not None and change.replacement is not None:
        flash(_("Nouvelle adresse enregistrée\u00a0: le courrier est renvoyé sous la référence %(reference)s\u00a0; il "
                "partira avec la prochaine génération «\u00a0nouveaux courriers seulement\u00a0».",
                reference=letter_reference(breach.reference, change.replacement.number)), "success")
    elif change is not None:
        flash(_("Nouvelle adresse enregistrée."), "success")
    return redirect(url_for("hotline.desk", breach_id=breach.id))


@bp.route("/breaches/<int:breach_id>/script")
@require("hotline.stats")
def script(breach_id: int):
    breach = get_breach(breach_id)
    versions = hotline.script_versions(breach.id)
    current = versions[0] if versions else None
    texts = current.texts if current else hotline.default_texts(_lang())
    return render_template("hotline/script.html", breach=breach, versions=versions, current=current, texts=texts,
                           problems=hotline.script_problems(current) if current else [], **_common())


@bp.route("/breaches/<int:breach_id>/script", methods=["POST"])
@require("hotline.script.edit")
def save_script(breach_id: int):
    breach = get_breach(breach_id)
    texts = {key: request.form.get(key, "") for key in hotline.SECTIONS}
    try:
        saved = hotline.save_script(breach, current_user, texts=texts, phone=request.form.get("phone", ""),
                                    hours=request.form.get("hours", ""),
                                    notice_url=request.form.get("notice_url", ""))
    except Refusal as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return redirect(url_for("hotline.script", breach_id=breach.id))
    db.session.commit()
    flash(_("Version %(version)s du script enregistrée\u00a0: elle doit être approuvée par un juriste.",
            version=saved.version), "success")
    return redirect(url_for("hotline.script", breach_id=breach.id))


@bp.route("/breaches/<int:breach_id>/script/<int:script_id>/approve", methods=["POST"])
@require("hotline.script.approve")
def approve_script(breach_id: int, script_id: int):
    breach = get_breach(breach_id)
    found = db.session.get(CallScript, script_id)
    if found is None or found.breach_id != breach.id:
        abort(404)
    try:
        hotline.approve_script(found, current_user)
    except Refusal as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return redirect(url_for("hotline.script", breach_id=breach.id))
    db.session.commit()
    flash(_("Script approuvé\u00a0: l'accueil téléphonique lit désormais cette version."), "success")
    return redirect(url_for("hotline.script", breach_id=breach.id))


@bp.route("/breaches/<int:breach_id>/calls")
@require("hotline.stats")
def stats(breach_id: int):
    breach = get_breach(breach_id)
    counts = hotline.call_counts(breach.id)
    return render_template("hotline/stats.html", breach=breach, counts=counts,
                           chart=charts.calls_by_day(counts, _lang()), **_common())


@bp.route("/breaches/<int:breach_id>/calls.csv")
@require("hotline.stats")
def export_csv(breach_id: int):
    breach = get_breach(breach_id)
    data = hotline.export_counts_csv(breach, user=current_user, lang=_lang(), via="web")
    db.session.commit()
    return Response(data, mimetype="text/csv; charset=utf-8", headers={
        "Content-Disposition": f'attachment; filename="{breach.reference}-appels.csv"'})


@bp.app_context_processor
def _panel_helpers():
    return {"hotline_panel": lambda breach: hotline.call_counts(breach.id, days=7),
            "hotline_reason_labels": hotline.REASON_LABELS,
            "hotline_chart": lambda counts: charts.calls_by_day(counts, _lang(), days=7, legend_below=True)}
