"""Breaches: the dashboard of open breaches with their clocks, the step-by-step wizard, the breach page."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from notifier.breaches import services as service
from notifier.breaches.access import establishments, get_breach
from notifier.breaches.calendar import calendar_file
from notifier.breaches.charts import dashboard_charts
from notifier.breaches.closing import BreachClosedError, closing_warnings
from notifier.breaches.rules import form, progress, values, vocabulary
from notifier.breaches.rules.deadlines import ClockStatus, regulation_1182_71_deadline
from notifier.breaches.rules.vocabulary import people_count_band
from notifier.breaches.states import BreachStatus
from notifier.core.formatting import format_date_words, format_datetime, format_datetime_words
from notifier.core.i18n import N_
from notifier.core.types import utcnow
from notifier.core.web import form_int, require, user_lang
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
    return {"choice_label": lambda name, code: vocabulary.label(vocabulary.VOCABULARIES[name], code, lang),
            # The audit trail page names the changed fields of a "breach.update" entry by their labels.
            "breach_field_label": lambda name: values.field_label(str(name), lang)}


@bp.app_context_processor
def _wizard_helpers() -> dict:
    """For every page of a breach (base.html, the wizard's menu, the risk step): the menu with each step's state,
    the nearest open deadline among all the clocks, the "what to do next" checklist, dates in words."""

    def wizard_nav(breach):
        order = _wizard_order()
        if breach is None:  # "Déclarer une violation": nothing saved yet
            return [{"code": code, "title": _title(code), "url": None, "status": None, "missing": (), "note": None}
                    for code in order]
        states = service.step_states(breach, refused=_refused(breach),
                                     period_hours=current_app.config["CNIL_PERIOD_HOURS"])
        return [{"code": code, "title": _title(code), "url": _page_url(breach, code), "status": states[code].status,
                 "missing": states[code].missing, "note": states[code].note} for code in order]

    def breach_deadlines(breach):
        now = utcnow()
        clocks = service.clocks(breach, period_hours=current_app.config["CNIL_PERIOD_HOURS"], now=now)
        pending = progress.open_clocks(clocks)
        return {"clocks": clocks, "nearest": pending[0] if pending else None, "open": pending, "now": now}

    def breach_checklist(breach, patients=None, letters_approved=None, letters_sent=None):
        period = current_app.config["CNIL_PERIOD_HOURS"]
        states = service.step_states(breach, refused=_refused(breach), period_hours=period)
        return progress.checklist(breach.sections, states=states, clocks=service.clocks(breach, period_hours=period),
                                  decision=service.risk_decision(breach), patients=patients,
                                  letters_approved=letters_approved, letters_sent=letters_sent)

    def todo_text(todo):
        params = dict(todo.params)
        if "what" in params:
            params["what"] = _(params["what"])
        if todo.due is not None:
            params["due"] = format_datetime(todo.due, _lang())
        return _(todo.text, **params)

    def todo_url(breach, todo):
        if todo.target in form.STEP_BY_CODE or todo.target == progress.RISK_STEP:
            return _page_url(breach, todo.target)
        endpoint = {"letters": "letters.index", "patients": "patients.index"}.get(todo.target)
        if endpoint and endpoint in current_app.view_functions:
            return url_for(endpoint, breach_id=breach.id)
        return url_for("breaches.show", breach_id=breach.id, _anchor="documents-title")

    def in_words(value, date_only=False):
        """A stored instant (ISO text) in words, in the page's language: "jeudi 12 mars 2026 à 14 h 20"; a time
        typed without offset (shown back after an error) is Paris time. Unreadable text: nothing."""
        if not value:
            return ""
        try:
            if date_only:
                return format_date_words(date.fromisoformat(str(value)), _lang())
            instant = datetime.fromisoformat(str(value))
        except ValueError:
            return ""
        if instant.tzinfo is None:
            instant = instant.replace(tzinfo=ZoneInfo("Europe/Paris"))
        return format_datetime_words(instant, _lang())

    return {"wizard_nav": wizard_nav, "breach_deadlines": breach_deadlines, "breach_checklist": breach_checklist,
            "todo_text": todo_text, "todo_url": todo_url, "in_words": in_words,
            "StepStatus": progress.StepStatus}


def _title(code: str) -> str:
    return N_("Évaluation du risque") if code == progress.RISK_STEP else form.STEP_BY_CODE[code].title


@bp.get("/")
@require("breach.view")
def dashboard():
    now = utcnow()
    period = current_app.config["CNIL_PERIOD_HOURS"]
    open_breaches = service.open_breaches(current_user.organisation_id, period_hours=period, now=now)
    rows = [(b, service.clocks(b, period_hours=period, now=now)) for b in open_breaches]
    charts = dashboard_charts(current_user.organisation_id, str(get_locale() or "fr"))
    return render_template("breaches/dashboard.html", rows=rows, now=now, charts=charts)


@bp.get("/breaches/new")
@require("breach.edit")
def new():
    """The first step of a new breach, with no record behind it yet: nothing is numbered nor registered until it is
    saved."""
    if not establishments():
        flash(_("Aucun établissement : un administrateur doit d'abord en créer un."), "error")
        return redirect(url_for("breaches.dashboard"))
    values = form.empty_section(form.STEPS[0])
    values["notification_type"] = "initial"
    return _render_step(None, form.STEPS[0], values, {})


@bp.post("/breaches/new")
@require("breach.edit")
def create():
    choices = establishments()
    chosen = form_int("establishment_id")
    establishment = next((e for e in choices if e.id == chosen), choices[0] if choices else None)
    if establishment is None:
        flash(_("Aucun établissement : un administrateur doit d'abord en créer un."), "error")
        return redirect(url_for("breaches.dashboard"))
    wizard_step = form.STEPS[0]
    raw = _raw(wizard_step)
    breach, result = service.start_breach(current_user, establishment, raw,
                                          period_hours=current_app.config["CNIL_PERIOD_HOURS"])
    if breach is None or not result.ok:
        db.session.rollback()
        # The page lists the refused fields at its top and marks each one (templates/breaches/step.html).
        return _render_step(None, wizard_step, raw, {n: e.message(_lang()) for n, e in result.errors.items()}, 422,
                            establishment_id=establishment.id)
    db.session.commit()
    flash(_("Violation %(reference)s enregistrée.", reference=breach.reference), "success")
    return _after_save(breach, wizard_step.code)


def _wizard_step(code: str) -> form.Step:
    wizard_step = form.STEP_BY_CODE.get(code)
    if wizard_step is None:
        abort(404)
    return wizard_step


def _raw(wizard_step: form.Step) -> dict:
    return {f.name: (request.form.getlist(f.name) if f.kind == "multi" else request.form.get(f.name))
            for f in wizard_step.fields}


def _wizard_order() -> list[str]:
    return progress.wizard_order(with_risk="risk.assess" in current_app.view_functions)


def _page_url(breach, code: str) -> str:
    if code == progress.RISK_STEP:
        return url_for("risk.assess", breach_id=breach.id)
    return url_for("breaches.step", breach_id=breach.id, code=code)


_REFUSED = "refused_steps"


def _refused(breach) -> dict[str, tuple[str, ...]]:
    """The steps whose last submission in this session was refused (nothing stored), each with the names of the
    fields refused: the menu shows them in error, naming those fields, until the step is saved. Only field names
    are kept in the session, never what was typed."""
    if breach is None:
        return {}
    marks = (session.get(_REFUSED) or {}).get(str(breach.id)) or {}
    if isinstance(marks, list):  # a session cookie written before the field names were kept
        marks = dict.fromkeys(marks, [])
    return {code: tuple(names) for code, names in marks.items()}


def _mark_refused(breach, code: str, fields: list[str] | None) -> None:
    """``fields``: the names of the refused fields, or None once the step is saved."""
    marks = dict(session.get(_REFUSED) or {})
    steps = {step: list(names) for step, names in _refused(breach).items()}
    if fields is None:
        steps.pop(code, None)
    else:
        steps[code] = sorted(fields)
    if steps:
        marks[str(breach.id)] = steps
    else:
        marks.pop(str(breach.id), None)
    session[_REFUSED] = marks


def _information_start(breach, values: dict) -> tuple[dict, dict | None]:
    """"Information des personnes" starts from the risk verdict (GDPR art. 34(1) and 34(3)): while the DPO has not
    answered, the answers it implies are proposed; the DPO may change them."""
    verdict = service.risk_decision(breach)
    if verdict is None or values.get("information_status"):
        return values, verdict
    values = dict(values)
    exceptions = list((verdict["assessment"].result or {}).get("exceptions") or [])
    if verdict.get("inform_subjects") and verdict.get("public_communication_required"):
        values.update(information_status="will_be", information_channels=["public_notice"],
                      art_34_3_exception="34.3.c")
    elif verdict.get("inform_subjects"):
        values.update(information_status="will_be", information_channels=values.get("information_channels")
                      or ["letter"])
    else:
        values.update(information_status="will_not_be",
                      art_34_3_exception=values.get("art_34_3_exception") or (exceptions[0] if exceptions else None))
    values["_from_verdict"] = True
    return values, verdict


def _render_step(breach, wizard_step, values, errors, status=200, stale=False, establishment_id=None,
                 refused_fields=()):
    order = _wizard_order()
    previous, following = progress.neighbours(wizard_step.code, order)
    verdict = None
    if breach is not None and wizard_step.code == "information" and not errors:
        values, verdict = _information_start(breach, values)
    elif breach is not None and wizard_step.code == "information":
        verdict = service.risk_decision(breach)
    return render_template("breaches/step.html", breach=breach, step=wizard_step, steps=form.STEPS, values=values,
                           errors=errors, establishments=establishments(), stale=stale, previous=previous,
                           following=following, verdict=verdict, fields=form.FIELD_BY_NAME,
                           refused_fields=tuple(refused_fields),
                           establishment_id=establishment_id or (breach.establishment_id if breach else None),
                           ), status


@bp.get("/breaches/<int:breach_id>/steps/<code>")
@require("breach.view")
def step(breach_id: int, code: str):
    breach = get_breach(breach_id)
    wizard_step = _wizard_step(code)
    return _render_step(breach, wizard_step, dict(breach.sections[code]), {},
                        refused_fields=_refused(breach).get(code, ()))


@bp.post("/breaches/<int:breach_id>/steps/<code>")
@require("breach.edit")
def save_step(breach_id: int, code: str):
    """Save one step as a draft. Invalid input: the step is shown again with each error next to its field, and
    nothing is stored for it; earlier steps stay as saved."""
    breach = get_breach(breach_id)
    wizard_step = _wizard_step(code)
    raw = _raw(wizard_step)
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
        _mark_refused(breach, code, list(result.errors))
        # The page lists the refused fields with the reason at its top and next to each field, with what was typed.
        return _render_step(breach, wizard_step, raw, {n: e.message(lang) for n, e in result.errors.items()}, 422)
    db.session.commit()
    _mark_refused(breach, code, None)
    flash(_("Étape enregistrée."), "success")
    return _after_save(breach, code)


def _after_save(breach, code: str):
    """Where a saved step leads: "next" to the following page of the wizard (the risk step included), "previous"
    to the one before, anything else (Enter in a browser without the default button, "stay") back to the same
    step. Never backwards unless asked."""
    previous, following = progress.neighbours(code, _wizard_order())
    go = request.form.get("go")
    if go == "next":
        return redirect(_page_url(breach, following) if following else url_for("breaches.show", breach_id=breach.id))
    if go == "previous" and previous:
        return redirect(_page_url(breach, previous))
    return redirect(url_for("breaches.step", breach_id=breach.id, code=code))


@bp.post("/breaches/<int:breach_id>/delete")
@require("breach.delete")
def delete(breach_id: int):
    """Delete a draft recorded by mistake: refused once notified or when patients or documents hang from it; the
    reason goes to the audit trail."""
    breach = get_breach(breach_id)
    try:
        reference = service.delete_draft(breach, current_user, request.form.get("reason", ""))
    except service.DeleteRefused as error:
        db.session.rollback()
        flash(error.message(_lang()), "error")
        return redirect(url_for("breaches.show", breach_id=breach_id))
    db.session.commit()
    flash(_("Brouillon %(reference)s supprimé\u00a0: le motif figure au journal d'audit.", reference=reference),
          "success")
    return redirect(url_for("breaches.dashboard"))


@bp.get("/breaches/<int:breach_id>/deadlines.ics")
@require("breach.view")
def calendar(breach_id: int):
    """The breach's clocks as an iCalendar file (RFC 5545) to drop into Outlook or any calendar."""
    breach = get_breach(breach_id)
    body = calendar_file(breach, service.clocks(breach, period_hours=current_app.config["CNIL_PERIOD_HOURS"]),
                         lang=_lang(), url=url_for("breaches.show", breach_id=breach.id, _external=True))
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'attachment; filename="{breach.reference}-delais.ics"'})


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
        fields=form.FIELD_BY_NAME, regulation_due=regulation_due, deletable=not service.deletion_blockers(breach),
    )


@bp.get("/breaches/<int:breach_id>/history")
@require("breach.view")
def history(breach_id: int):
    breach = get_breach(breach_id)
    lang = user_lang()
    return render_template("breaches/history.html", breach=breach, changes=service.history(breach),
                           fields=form.FIELD_BY_NAME, field_label=lambda name: values.field_label(name, lang),
                           value_text=lambda name, value: values.value_text(name, value, lang))


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
