"""Breaches: the dashboard of open breaches with their clocks, the step-by-step wizard, the breach page."""


from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from notifier.breaches import services as service
from notifier.breaches.access import establishments, get_breach
from notifier.breaches.charts import dashboard_charts
from notifier.breaches.closing import BreachClosedError, closing_warnings
from notifier.breaches.rules import form, vocabulary
from notifier.breaches.rules.deadlines import ClockStatus, regulation_1182_71_deadline
from notifier.breaches.rules.vocabulary import people_count_band
from notifier.breaches.states import BreachStatus
from notifier.core.types import utcnow
from notifier.core.web import form_int, require
from notifier.extensions import db

bp = Blueprint("breaches", __name__)
# Templates compare states with the enum, never with a bare string.
bp.add_app_template_global(BreachStatus, "BreachStatus")
bp.add_app_template_global(ClockStatus, "ClockStatus")


@bp.app_context_processor
def _vocabulary_helpers() -> dict:
    """`choice_label(vocabulary, code)` in templates: a code of the breach record's vocabularies, in the page's
    language."""
    lang = str(get_locale() or "fr")
    return {"choice_label": lambda name, code: vocabulary.label(vocabulary.VOCABULARIES[name], code, lang)}


@bp.get("/")
@require("breach.view")
def dashboard():
    now = utcnow()
    open_breaches = service.open_breaches(current_user.organisation_id)
    period = current_app.config["CNIL_PERIOD_HOURS"]
    rows = [(b, service.clocks(b, period_hours=period, now=now)) for b in open_breaches]
    charts = dashboard_charts(current_user.organisation_id, str(get_locale() or "fr"))
    return render_template("breaches/dashboard.html", rows=rows, now=now, charts=charts)


@bp.post("/breaches/new")
@require("breach.edit")
def create():
    choices = establishments()
    chosen = form_int("establishment_id")
    establishment = next((e for e in choices if e.id == chosen), choices[0] if choices else None)
    if establishment is None:
        flash(_("Aucun établissement : un administrateur doit d'abord en créer un."), "error")
        return redirect(url_for("breaches.dashboard"))
    breach = service.create_breach(current_user, establishment)
    db.session.commit()
    return redirect(url_for("breaches.step", breach_id=breach.id, code=form.STEPS[0].code))


def _wizard_step(code: str) -> form.Step:
    wizard_step = form.STEP_BY_CODE.get(code)
    if wizard_step is None:
        abort(404)
    return wizard_step


def _render_step(breach, wizard_step, values, errors, status=200, stale=False):
    return render_template("breaches/step.html", breach=breach, step=wizard_step, steps=form.STEPS, values=values,
                           errors=errors, establishments=establishments(), stale=stale), status


@bp.get("/breaches/<int:breach_id>/steps/<code>")
@require("breach.view")
def step(breach_id: int, code: str):
    breach = get_breach(breach_id)
    wizard_step = _wizard_step(code)
    return _render_step(breach, wizard_step, dict(breach.sections[code]), {})


@bp.post("/breaches/<int:breach_id>/steps/<code>")
@require("breach.edit")
def save_step(breach_id: int, code: str):
    """Save one step as a draft. Invalid input: the step is shown again with each error next to its field, and
    nothing is stored for it; earlier steps stay as saved."""
    breach = get_breach(breach_id)
    wizard_step = _wizard_step(code)
    raw = {f.name: (request.form.getlist(f.name) if f.kind == "multi" else request.form.get(f.name))
           for f in wizard_step.fields}
    chosen_establishment = None
    if code == "notification":
        chosen_id = form_int("establishment_id")
        chosen_establishment = next((e for e in establishments() if e.id == chosen_id), None)
    try:
        result = service.save_step(
            breach, code, raw, user=current_user, expected_version=form_int("version", minimum=0),
            period_hours=current_app.config["CNIL_PERIOD_HOURS"], establishment=chosen_establishment,
        )
    except service.StaleBreachError:
        db.session.rollback()
        flash(_("Cette violation a été modifiée entre-temps (autre onglet ou autre utilisateur). Vos "
                "saisies ci-dessous n'ont pas été enregistrées : vérifiez la version actuelle puis "
                "enregistrez à nouveau."), "error")
        return _render_step(get_breach(breach_id), wizard_step, raw, {}, 409, stale=True)
    if not result.ok:
        lang = str(get_locale() or "fr")
        flash(_("Des champs sont invalides : rien n'a été enregistré pour cette étape, les étapes précédentes "
                "restent enregistrées."), "error")
        return _render_step(breach, wizard_step, raw, {n: e.message(lang) for n, e in result.errors.items()}, 422)
    db.session.commit()
    flash(_("Étape enregistrée."), "success")
    index = form.STEPS.index(wizard_step)
    following = request.form.get("go")
    if following == "next" and index + 1 < len(form.STEPS):
        return redirect(url_for("breaches.step", breach_id=breach.id, code=form.STEPS[index + 1].code))
    if following == "previous" and index > 0:
        return redirect(url_for("breaches.step", breach_id=breach.id, code=form.STEPS[index - 1].code))
    if following == "next":
        return redirect(url_for("breaches.show", breach_id=breach.id))
    return redirect(url_for("breaches.step", breach_id=breach.id, code=code))


@bp.get("/breaches/<int:breach_id>")
@require("breach.view")
def show(breach_id: int):
    breach = get_breach(breach_id)
    now = utcnow()
    clocks = service.clocks(breach, period_hours=current_app.config["CNIL_PERIOD_HOURS"], now=now)
    count = breach.sections["people"].get("people_count")
    period = current_app.config["CNIL_PERIOD_HOURS"]
    regulation_due = regulation_1182_71_deadline(breach.aware_at, period) if breach.aware_at else None
    return render_template(
        "breaches/show.html", breach=breach, clocks=clocks, now=now, steps=form.STEPS,
        missing=form.missing_art_33_3(breach.sections), band=people_count_band(count) if count is not None else None,
        fields=form.FIELD_BY_NAME, regulation_due=regulation_due,
    )


@bp.get("/breaches/<int:breach_id>/history")
@require("breach.view")
def history(breach_id: int):
    breach = get_breach(breach_id)
    return render_template("breaches/history.html", breach=breach, changes=service.history(breach),
                           fields=form.FIELD_BY_NAME)


@bp.post("/breaches/<int:breach_id>/close")
@require("breach.edit")
def close(breach_id: int):
    breach = get_breach(breach_id)
    warnings = closing_warnings(breach)
    if warnings and request.form.get("confirmed") != "1":
        return render_template("breaches/close_confirm.html", breach=breach, warnings=warnings)
    service.close_breach(breach, current_user)
    db.session.commit()
    flash(_("Violation clôturée. Elle reste au registre."), "success")
    return redirect(url_for("breaches.show", breach_id=breach.id))


@bp.post("/breaches/<int:breach_id>/reopen")
@require("breach.edit")
def reopen(breach_id: int):
    breach = get_breach(breach_id)
    try:
        service.reopen_breach(breach, current_user, request.form.get("reason", ""))
    except service.ReopenRefused as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
    else:
        flash(_("Violation rouverte\u00a0: le motif figure à l'historique."), "success")
    return redirect(url_for("breaches.show", breach_id=breach.id))


@bp.app_errorhandler(BreachClosedError)
def _breach_closed(error: BreachClosedError):
    """Any change to a closed breach, from any feature's page: nothing is kept, the page says why."""
    db.session.rollback()
    return render_template("error.html", code=409, message=error.message(_lang()),
                           back=url_for("breaches.show", breach_id=error.breach_id)), 409


def _lang() -> str:
    return str(get_locale() or "fr")


@bp.get("/breaches/<int:breach_id>/export.json")
@require("breach.view")
def export(breach_id: int):
    breach = get_breach(breach_id)
    body = service.export_json(breach, user=current_user)
    db.session.commit()
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": f'attachment; filename="{breach.reference}.json"'})
