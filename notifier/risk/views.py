"""The "Évaluation du risque" step: the facts form, the assessment with its parts and reasons, the DPO's override
and the history of assessments. Reading needs breach.view; assessing and overriding need risk.assess (the DPO)."""

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from notifier.breaches.access import get_breach
from notifier.breaches.rules import deadlines, form
from notifier.core.i18n import N_
from notifier.core.types import utcnow
from notifier.core.web import form_int, require
from notifier.core.web import user_lang as _lang
from notifier.extensions import db
from notifier.risk import services as risk
from notifier.risk.rules import engine, estimate
from notifier.risk.rules.facts import CHOICES, RiskFactsError
from notifier.risk.states import RiskTrigger

bp = Blueprint("risk", __name__)

TRIGGERS = {"manual": N_("Évaluation par le DPO"),
            "facts_changed": N_("Faits modifiés dans la fiche"),
            "import": N_("Import JSON")}


def _number(value, lang=None) -> str:
    """A score in the user's language: 4,75 in French, 4.75 in English."""
    text = f"{value:g}"
    return text.replace(".", ",") if (lang or _lang()) == "fr" else text


@bp.app_context_processor
def _risk_helpers():
    return {"risk_decision": risk.decision, "risk_number": _number, "risk_choices": CHOICES,
            "risk_labels": {"severity": engine.SEVERITIES, "risk_level": engine.RISK_LEVELS,
                            "dpc_category": engine.DPC_CATEGORIES, "exceptions": engine.EXCEPTIONS,
                            "rules": {code: rule.label for code, rule in engine.RULES.items()},
                            "triggers": TRIGGERS}}


def _cnil_clock(breach) -> tuple:
    """The CNIL deadline (GDPR art. 33(1): 72 hours after awareness) and whether it has passed, or (None, False)."""
    if breach.aware_at is None:
        return None, False
    due = deadlines.cnil_deadline(breach.aware_at)
    return due, breach.cnil_sent_at is None and utcnow() > due


def _render(breach, values, errors=None, override_error=None, override_values=None, status=200):
    latest = risk.latest_assessment(breach)
    cnil_due, cnil_late = _cnil_clock(breach)
    severity = (breach.sections.get("consequences") or {}).get("severity")
    return render_template(
        "risk/assess.html", breach=breach, steps=form.STEPS, step=None, values=values, errors=errors or {},
        assessment=latest, decision=risk.decision(breach), history=risk.history(breach),
        override_error=override_error, override_values=override_values or {},
        derived=risk.facts_derived_from_sections(breach.sections),
        edits=(latest.facts_edits or {}) if latest else {}, cnil_due=cnil_due, cnil_late=cnil_late,
        estimate=estimate.compare(severity, latest.severity, latest.severity_score) if latest else None,
    ), status


@bp.get("/breaches/<int:breach_id>/risk")
@require("breach.view")
def assess(breach_id: int):
    breach = get_breach(breach_id)
    return _render(breach, risk.facts_from_breach(breach))


@bp.post("/breaches/<int:breach_id>/risk")
@require("risk.assess")
def submit(breach_id: int):
    """Assess the facts as submitted. Invalid facts: the form comes back with a message next to each field, and
    nothing is stored."""
    breach = get_breach(breach_id)
    lang = _lang()
    try:
        doc = risk.read_facts_form(request.form)
        risk.assess_breach(breach, doc, current_user, trigger=RiskTrigger.MANUAL)
    except risk.FactsFormError as error:
        flash(_("Des faits sont invalides\u00a0: rien n'a été enregistré."), "error")
        return _render(breach, _submitted(), error.messages(lang), status=422)
    except RiskFactsError as error:
        db.session.rollback()
        flash(_("Des faits sont invalides\u00a0: rien n'a été enregistré."), "error")
        messages = {path.split("[")[0]: text for path, text in error.problems}
        return _render(breach, _submitted(), messages, status=422)
    except risk.StaleRiskError:
        flash(_("Cette violation a été modifiée entre-temps\u00a0: l'évaluation n'a pas été enregistrée. "
                "Vérifiez les faits puis évaluez à nouveau."), "error")
        return _render(get_breach(breach_id), _submitted(), status=409)
    db.session.commit()
    flash(_("Évaluation enregistrée."), "success")
    return redirect(url_for("risk.assess", breach_id=breach.id, _anchor="result-title"))


def _submitted() -> dict:
    """The form as typed, to show it back after an error."""
    values = {key: request.form.get(key, "") for key in request.form}
    for key in ("data_types", "people_categories"):
        values[key] = request.form.getlist(key)
    for key in risk.BOOLEAN_FIELDS:
        values[key] = key in request.form
    return values


@bp.post("/breaches/<int:breach_id>/risk/override")
@require("risk.assess")
def override(breach_id: int):
    """The DPO's decision against the computed verdict, with its written justification; refused without it."""
    breach = get_breach(breach_id)
    lang = _lang()
    latest = risk.latest_assessment(breach)
    submitted = {key: request.form.get(key, "") for key in ("notify_authority", "inform_subjects", "justification")}
    try:
        if latest is None or form_int("assessment_id") not in (None, latest.id):
            # The page showed an assessment that is no longer the latest one.
            raise risk.OverrideError("not_latest" if latest else "no_assessment")
        risk.override(latest, current_user, risk.parse_verdict(submitted["notify_authority"]),
                      risk.parse_verdict(submitted["inform_subjects"]), submitted["justification"])
    except risk.OverrideError as error:
        db.session.rollback()
        flash(error.message(lang), "error")
        field_error = error.message(lang) if error.code.startswith("justification") else None
        return _render(breach, risk.facts_from_breach(breach), override_error=field_error,
                       override_values=submitted, status=422)
    except risk.StaleRiskError:
        flash(_("Cette violation a été modifiée entre-temps\u00a0: la décision n'a pas été enregistrée."), "error")
        breach = get_breach(breach_id)
        return _render(breach, risk.facts_from_breach(breach), override_values=submitted, status=409)
    db.session.commit()
    flash(_("Décision du DPO enregistrée avec sa justification."), "success")
    return redirect(url_for("risk.assess", breach_id=breach.id, _anchor="decision-title"))
