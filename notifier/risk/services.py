"""Use cases of the risk assessment: prefill the facts from the breach record, assess and keep every assessment, the
DPO's override, re-assessment when the facts change, and the decision the reports and the register rely on.

The method itself (ENISA 2013, GDPR art. 33/34) is notifier.risk.rules.engine; this module only feeds it and stores
what it says. Facts come from two places: the wizard (what the CNIL form records: data categories, people, nature,
cause, the art. 34(3) exception relied on) and the DPO's answers on the risk page. The DPO's word wins: an answer that
departs from what the wizard says is kept as an "edit" and survives later changes of the wizard."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from notifier.accounts.models import User
from notifier.audit import services as audit
from notifier.breaches.closing import ensure_open
from notifier.breaches.models import Breach
from notifier.core.i18n import LANGUAGES, N_, translate
from notifier.core.types import utcnow
from notifier.extensions import db
from notifier.permissions import role_can
from notifier.risk.models import RiskAssessment
from notifier.risk.rules import engine
from notifier.risk.rules.facts import (
    AVAILABILITY,
    CHOICES,
    CONFIDENTIALITY,
    DATA_TYPES,
    EXTENSION_PREFIX,
    PEOPLE_CATEGORIES,
    RiskFactsError,
    facts_template,
    facts_to_document,
    validate_facts,
)
from notifier.risk.states import RiskTrigger

# The wizard sections whose changes may change the facts (services.breaches.save_step calls the hook for these).
FACT_SECTIONS = ("people", "data", "nature", "origin", "consequences", "information")

# --- from the breach record to the facts ----------------------------------------------------------------------------

# The facts the wizard can tell; the others (identifiability, encryption aside, care disrupted, hours, the DPC
# adjustment...) only the DPO answers, on the risk page.
DERIVED_FIELDS = ("data_types", "people_count", "people_categories", "malicious", "confidentiality", "integrity",
                  "availability", "unintelligible", "risk_neutralised", "disproportionate_effort",
                  "availability_hours", "no_consequence_for_people")
LIST_FIELDS = ("data_types", "people_categories")

# CNIL people categories -> the facts' categories (risk_facts.PEOPLE_CATEGORIES); "not_determined" says nothing.
PEOPLE_CATEGORY_OF = {**{code: code for code in PEOPLE_CATEGORIES}, "members": "other", "military": "other"}
# CNIL form, "cause": an act is malicious or accidental; "unknown" and "other" say nothing.
MALICIOUS_OF_CAUSE = {"internal_malicious": True, "external_malicious": True,
                      "internal_accidental": False, "external_accidental": False}
# CNIL / EDPB confidentiality sub-types -> ENISA 2013 "loss of confidentiality". Copied or published data have gone
# to whoever the attacker or the publication reaches: an unknown number of recipients (EDPB 01/2021 cases 4, 5).
CONFIDENTIALITY_OF_SUBTYPE = {"unauthorised_access": "exposed", "disclosure": "known_recipients",
                              "exfiltration": "unknown_recipients", "publication": "unknown_recipients"}
# Availability sub-types -> ENISA "loss of availability": destroyed data are lost for good; encrypted, lost or
# unreachable data are presumed temporarily unavailable until the DPO says they were restored or not.
AVAILABILITY_OF_SUBTYPE = {"destruction": "permanent", "encryption": "temporary", "loss": "temporary",
                           "temporary_outage": "temporary"}
# The wizard does not say whether altered data could be restored: "possibly misused, recoverable" until the DPO says.
INTEGRITY_WHEN_LOST = "recoverable"
# GDPR art. 34(3): the exception the DPO relies on in the "information" step states the matching fact.
FACT_OF_EXCEPTION = {"34.3.a": "unintelligible", "34.3.b": "risk_neutralised", "34.3.c": "disproportionate_effort"}
# The CNIL form's "nature des conséquences": data lost or out of reach, preventing the service (care) from being
# given, is a consequence for the people; so is an effect on care recorded for the ARS form. Either says that
# no_consequence_for_people does not hold (WP250 rev.01 section I.B.2). The record never says it holds: only the
# DPO states it, on the risk page.
CONSEQUENCE_NATURES_FOR_PEOPLE = ("unavailable",)


def _worst(levels: list[str], choices: Mapping[str, Any]) -> str:
    order = list(choices)
    return max(levels, key=order.index)


def facts_derived_from_sections(sections: Mapping[str, Any]) -> dict[str, Any]:
    """The facts the wizard's answers establish, and only those (a field the wizard is silent on is left out)."""
    derived: dict[str, Any] = {}
    data = sections.get("data") or {}
    # The CNIL data categories are codes of the facts' data types, "other" aside (no ENISA category).
    data_types = [code for code in data.get("data_categories") or [] if code in DATA_TYPES]
    if data_types:
        derived["data_types"] = data_types
    people = sections.get("people") or {}
    if isinstance(people.get("people_count"), int):
        derived["people_count"] = people["people_count"]
    categories: list[str] = []
    for code in people.get("people_categories") or []:
        mapped = PEOPLE_CATEGORY_OF.get(code)
        if mapped and mapped not in categories:
            categories.append(mapped)
    if categories:
        derived["people_categories"] = categories
    cause = (sections.get("origin") or {}).get("cause")
    if cause in MALICIOUS_OF_CAUSE:
        derived["malicious"] = MALICIOUS_OF_CAUSE[cause]
    nature = sections.get("nature") or {}
    natures = nature.get("natures") or []
    if natures:
        if "confidentiality" in natures:
            levels = [CONFIDENTIALITY_OF_SUBTYPE[c] for c in nature.get("confidentiality_subtypes") or []
                      if c in CONFIDENTIALITY_OF_SUBTYPE]
            derived["confidentiality"] = _worst(levels or ["exposed"], CONFIDENTIALITY)
        else:
            derived["confidentiality"] = "none"
        derived["integrity"] = INTEGRITY_WHEN_LOST if "integrity" in natures else "none"
        if "availability" in natures:
            levels = [AVAILABILITY_OF_SUBTYPE[c] for c in nature.get("availability_subtypes") or []
                      if c in AVAILABILITY_OF_SUBTYPE]
            derived["availability"] = _worst(levels or ["temporary"], AVAILABILITY)
        else:
            derived["availability"] = "none"
    exception = (sections.get("information") or {}).get("art_34_3_exception")
    for code, field in FACT_OF_EXCEPTION.items():
        derived[field] = exception == code
    hours = _unavailability_hours(sections)
    if hours is not None:
        derived["availability_hours"] = hours
    consequences = sections.get("consequences") or {}
    if any(code in CONSEQUENCE_NATURES_FOR_PEOPLE for code in consequences.get("consequence_natures") or []) \
            or ((sections.get("other_bodies") or {}).get("care_impact") or "").strip():
        derived["no_consequence_for_people"] = False
    return derived


def _unavailability_hours(sections: Mapping[str, Any]) -> float | None:
    """How long the data were out of reach, as the record dates it: from the start to the end of a breach that
    lost availability and is over. None when the record cannot tell (no loss of availability, start or end unknown,
    still ongoing): the DPO answers."""
    natures = (sections.get("nature") or {}).get("natures") or []
    dates = sections.get("dates") or {}
    if "availability" not in natures or dates.get("ongoing") or not dates.get("started_at") \
            or not dates.get("ended_at"):
        return None
    hours = (datetime.fromisoformat(dates["ended_at"]) - datetime.fromisoformat(dates["started_at"])
             ).total_seconds() / 3600
    return round(hours, 2) if hours >= 0 else None


def _same(field: str, a: Any, b: Any) -> bool:
    if field in LIST_FIELDS and isinstance(a, list) and isinstance(b, list):
        return set(a) == set(b)
    return a == b


def _apply_edits(doc: dict[str, Any], derived: Mapping[str, Any], edits: Mapping[str, Any]) -> None:
    for field, edit in edits.items():
        if field in LIST_FIELDS:
            base = list(derived.get(field, doc.get(field) or []))
            values = [v for v in base if v not in edit.get("remove", [])]
            values += [v for v in edit.get("add", []) if v not in values]
            if values:
                doc[field] = values
        elif field in DERIVED_FIELDS:
            doc[field] = edit["value"]


def _edit(field: str, answer: Any, derived: Mapping[str, Any], shown: Any = None,
          old: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An answer as an edit: a value, or for a list what the DPO added to and removed from what the wizard says.
    When the wizard says nothing of a list, the DPO's changes to the list shown are added to the earlier ones
    (the list shown may hold the template's defaults, which are nobody's answer)."""
    if field not in LIST_FIELDS:
        return {"value": answer}
    if field in derived:
        base = derived[field]
        return {"add": [v for v in answer if v not in base], "remove": [v for v in base if v not in answer]}
    shown = shown or []
    added = [v for v in answer if v not in shown]
    removed = [v for v in shown if v not in answer]
    old = old or {}
    return {"add": list(dict.fromkeys([v for v in old.get("add", []) if v not in removed] + added)),
            "remove": list(dict.fromkeys([v for v in old.get("remove", []) if v not in added] + removed))}


def _prefill(sections: Mapping[str, Any], edits: Mapping[str, Any]) -> dict[str, Any]:
    doc = facts_template()
    stored = sections.get("risk_facts")
    if isinstance(stored, dict):
        doc.update(stored)
    derived = facts_derived_from_sections(sections)
    doc.update(derived)
    _apply_edits(doc, derived, edits)
    return doc


def facts_from_breach(breach: Breach) -> dict[str, Any]:
    """The facts document to assess: the facts the wizard establishes, the DPO's stored answers for the rest
    (``sections["risk_facts"]``, or the cautious facts_template() when there are none), and the DPO's answers win
    over the wizard for the fields the DPO changed on the risk page."""
    latest = latest_assessment(breach)
    return _prefill(breach.sections, latest.facts_edits if latest else {})


def _edits_from_answers(breach: Breach, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Which answers of the DPO depart from the wizard. An answer equal to what the wizard says is no edit (the
    field follows the wizard again); an answer left as the form showed it keeps its earlier edit, if any; an answer
    the DPO changed becomes an edit."""
    latest = latest_assessment(breach)
    old = dict(latest.facts_edits or {}) if latest else {}
    shown = _prefill(breach.sections, old)
    derived = facts_derived_from_sections(breach.sections)
    edits: dict[str, Any] = {}
    for field in DERIVED_FIELDS:
        answer = answers.get(field)
        if field in derived and _same(field, answer, derived[field]):
            continue
        if _same(field, answer, shown.get(field)):
            if field in old:
                edits[field] = old[field]
            continue
        edits[field] = _edit(field, answer, derived, shown.get(field), old.get(field))
    return edits


def _edits_from_document(sections: Mapping[str, Any], doc: Mapping[str, Any]) -> dict[str, Any]:
    """An imported facts document: what it says differently from the imported wizard sections is the DPO's word."""
    derived = facts_derived_from_sections(sections)
    return {field: _edit(field, doc[field], derived) for field in DERIVED_FIELDS
            if field in derived and field in doc and not _same(field, doc[field], derived[field])}


# --- the facts form -------------------------------------------------------------------------------------------------

BOOLEAN_FIELDS = ("malicious", "unintelligible", "recipient_trusted", "risk_neutralised", "disproportionate_effort",
                  "care_disrupted", "discovered_by_authority", "no_substantial_insight", "no_consequence_for_people")
CHOICE_FIELDS = ("identifiability", "confidentiality", "integrity", "availability")
MAX_PEOPLE = 10**10
MAX_REASON = 2000
_COUNT_RE = re.compile(r"^\d[\d\s\u00a0\u202f.]*$")

MESSAGES: dict[str, str] = {
    "choose_one": N_("Choisissez une valeur dans la liste"),
    "unknown_choice": N_("Choix inconnu\u00a0: %(value)s"),
    "at_least_one_type": N_("Cochez au moins un type de données"),
    "whole_number": N_("Nombre entier positif ou nul attendu (par exemple 758\u00a0912)"),
    "too_large": N_("Nombre trop grand"),
    "hours": N_("Nombre d'heures positif attendu (par exemple 36 ou 1,5), ou rien si la durée est inconnue"),
    "adjustment": N_("Ajustement attendu\u00a0: −1, 0 ou +1"),
    "reason_required": N_("Justification écrite obligatoire quand le DPC est ajusté "
                          "(ENISA 2013, facteurs de contexte)"),
    "too_long": N_("%(max)s caractères au plus"),
    "refused": N_("Valeur refusée\u00a0: %(detail)s"),
    # the override
    "justification_required": N_("Justification écrite obligatoire (%(min)s caractères au moins)\u00a0: dites "
                                 "pourquoi vous vous écartez du "
                                 "verdict calculé. Rien n'a été enregistré."),
    "justification_too_long": N_("Justification trop longue (%(max)s caractères au plus). Rien n'a été enregistré."),
    "nothing_chosen": N_("Choisissez au moins un verdict à modifier. Rien n'a été enregistré."),
    "not_latest": N_("Une nouvelle évaluation a été faite entre-temps\u00a0: relisez-la avant de la modifier. Rien n'a "
                     "été enregistré."),
    "no_assessment": N_("Aucune évaluation à modifier\u00a0: évaluez d'abord le risque."),
    "bad_verdict": N_("Verdict inconnu\u00a0: %(value)s"),
}
OVERRIDE_MIN_JUSTIFICATION = 20
OVERRIDE_MAX_JUSTIFICATION = 10000


def message(code: str, lang: str = "fr", **params: Any) -> str:
    return translate(MESSAGES[code], lang, **params)


class FactsFormError(ValueError):
    """The facts form as submitted cannot be assessed: ``problems`` maps a field to (message code, parameters)."""

    def __init__(self, problems: dict[str, tuple[str, dict[str, Any]]]):
        super().__init__(", ".join(problems))
        self.problems = problems

    def messages(self, lang: str) -> dict[str, str]:
        return {field: message(code, lang, **params) for field, (code, params) in self.problems.items()}


def read_facts_form(form: Any) -> dict[str, Any]:
    """The facts document from the risk page's form (a MultiDict: ``get`` and ``getlist``). Raises FactsFormError
    with a precise message per field; a document that passes is also checked by validate_facts()."""
    problems: dict[str, tuple[str, dict[str, Any]]] = {}
    doc: dict[str, Any] = {}
    for field in ("data_types", "people_categories"):
        codes = list(dict.fromkeys(form.getlist(field)))
        unknown = [c for c in codes if c not in CHOICES[field]]
        if unknown:
            problems[field] = ("unknown_choice", {"value": unknown[0][:50]})
        doc[field] = codes
    if not doc["data_types"] and "data_types" not in problems:
        problems["data_types"] = ("at_least_one_type", {})
    for field in CHOICE_FIELDS:
        code = (form.get(field) or "").strip()
        if not code:
            problems[field] = ("choose_one", {})
        elif code not in CHOICES[field]:
            problems[field] = ("unknown_choice", {"value": code[:50]})
        doc[field] = code
    for field in BOOLEAN_FIELDS:
        doc[field] = form.get(field) in ("y", "on", "true", "1", "yes")

    count = (form.get("people_count") or "").strip()
    doc["people_count"] = 0
    if not _COUNT_RE.match(count):
        problems["people_count"] = ("whole_number", {})
    else:
        number = int(re.sub(r"[\s\u00a0\u202f.]", "", count))
        if number > MAX_PEOPLE:
            problems["people_count"] = ("too_large", {})
        doc["people_count"] = number

    hours = (form.get("availability_hours") or "").strip().replace("\u00a0", "").replace(" ", "")
    doc["availability_hours"] = None
    if hours:
        try:
            value = float(hours.replace(",", "."))
        except ValueError:
            value = -1.0
        if not 0 <= value < float("inf"):
            problems["availability_hours"] = ("hours", {})
        else:
            doc["availability_hours"] = value

    adjustment = (form.get("dpc_adjustment") or "0").strip().replace("−", "-").replace("+", "")
    doc["dpc_adjustment"] = int(adjustment) if adjustment in ("-1", "0", "1") else 0
    if adjustment not in ("-1", "0", "1"):
        problems["dpc_adjustment"] = ("adjustment", {})
    reason = (form.get("dpc_adjustment_reason") or "").strip().replace("\r\n", "\n")
    doc["dpc_adjustment_reason"] = reason
    if len(reason) > MAX_REASON:
        problems["dpc_adjustment_reason"] = ("too_long", {"max": MAX_REASON})
    elif doc["dpc_adjustment"] and not reason:
        problems["dpc_adjustment_reason"] = ("reason_required", {})

    if not problems:
        try:
            validate_facts(doc)
        except RiskFactsError as error:  # a safety net: the checks above should have caught everything
            for path, text in error.problems:
                problems.setdefault(path.split("[")[0], ("refused", {"detail": text}))
    if problems:
        raise FactsFormError(problems)
    return doc


# --- assessing and storing ------------------------------------------------------------------------------------------

class StaleRiskError(Exception):
    """The breach was saved by someone else while this assessment was being stored (optimistic locking)."""


def latest_assessment(breach: Breach) -> RiskAssessment | None:
    return db.session.scalars(
        select(RiskAssessment).where(RiskAssessment.breach_id == breach.id).order_by(RiskAssessment.id.desc())
        .limit(1)
    ).first()


def history(breach: Breach) -> list[RiskAssessment]:
    """Every assessment of the breach, newest first."""
    return list(db.session.scalars(
        select(RiskAssessment).where(RiskAssessment.breach_id == breach.id).order_by(RiskAssessment.id.desc())
    ))


def _document_to_store(facts: engine.RiskFacts, given: Mapping[str, Any]) -> dict[str, Any]:
    """The complete facts document, with the DPO's own ``x_`` fields kept."""
    return {**facts_to_document(facts),
            **{key: value for key, value in given.items() if str(key).startswith(EXTENSION_PREFIX)}}


def _store(breach: Breach, facts: engine.RiskFacts, stored_doc: dict[str, Any] | None, *, user: User | None,
           trigger: str, edits: dict[str, Any], details: dict[str, Any] | None = None) -> RiskAssessment:
    """Add the assessment; ``stored_doc`` (when not None) becomes ``sections["risk_facts"]``. No flush happens
    before the breach is changed, so the breach's version moves once per transaction."""
    assessment = engine.assess(facts, lang="fr")
    row = RiskAssessment(
        breach_id=breach.id, created_at=utcnow(),
        created_by_id=user.id if user and trigger == RiskTrigger.MANUAL else None,
        trigger=trigger, facts=facts_to_document(facts), facts_edits=edits, result=assessment.to_dict("fr"),
        severity=assessment.severity, severity_score=assessment.severity_score, risk_level=assessment.risk_level,
        notify_authority=assessment.notify_authority, inform_subjects=assessment.inform_subjects,
        public_communication_required=assessment.public_communication_required,
    )
    if stored_doc is not None and breach.sections.get("risk_facts") != stored_doc:
        breach.sections = {**breach.sections, "risk_facts": stored_doc}  # a new object: SQLAlchemy sees the change
    db.session.add(row)
    db.session.flush()
    audit.record("risk.assess", user=user, obj=row, breach_id=breach.id, organisation_id=breach.organisation_id,
                 details={"trigger": trigger, "severity": row.severity, "score": row.severity_score,
                          "notify_authority": row.notify_authority, "inform_subjects": row.inform_subjects,
                          **(details or {})})
    return row


def _flush() -> None:
    """The breach's version check runs on flush; the request commits."""
    try:
        db.session.flush()
    except StaleDataError:
        db.session.rollback()
        raise StaleRiskError() from None


def assess_breach(breach: Breach, facts_doc: Mapping[str, Any], user: User,
                  trigger: str = RiskTrigger.MANUAL) -> RiskAssessment:
    """Validate the facts (RiskFactsError otherwise: nothing stored), assess them, keep the assessment, copy the facts
    into the breach (``sections["risk_facts"]``) and write the audit trail, in the caller's transaction (flushed)."""
    if trigger not in (RiskTrigger.MANUAL, RiskTrigger.IMPORT):
        raise ValueError(f"assess_breach: trigger {trigger!r}; 'facts_changed' is reassess_after_change's")
    ensure_open(breach)
    facts = validate_facts(dict(facts_doc))
    with db.session.no_autoflush:
        if trigger == RiskTrigger.MANUAL:
            edits = _edits_from_answers(breach, facts_to_document(facts))
        else:
            edits = _edits_from_document(breach.sections, facts_doc)
    stored = _document_to_store(facts, facts_doc) if trigger == RiskTrigger.MANUAL else None
    row = _store(breach, facts, stored, user=user, trigger=trigger, edits=edits)
    _flush()
    return row


# What an automatic re-assessment compares: a new one is kept only when one of these differs. A change of the facts
# that leaves them alone (758,912 people become 760,000) adds nothing, and the breach keeps the facts last assessed.
OUTCOME_KEYS = ("severity_score", "severity", "risk_level", "notify_authority", "inform_subjects",
                "public_communication_required", "exceptions", "rules_applied")


def _outcome(result: Mapping[str, Any]) -> tuple:
    # The DPC adjustments count too: one without effect on the score (the DPC already at 4) is still said in the
    # reasons, which must not keep naming minors once the wizard no longer lists any.
    adjustments = tuple(a.get("code") for a in ((result.get("parts") or {}).get("dpc") or {}).get("adjustments", []))
    return tuple(tuple(value) if isinstance(value, list) else value
                 for value in (result.get(key) for key in OUTCOME_KEYS)) + (adjustments,)


def reassess_after_change(breach: Breach, user: User, changed_fields: list[str]) -> RiskAssessment | None:
    """Called by services.breaches.save_step, inside its transaction (the request commits), when a step bearing on the
    facts changed. Once the breach has been assessed, its facts are read again from the record (facts_from_breach,
    the DPO's edits still winning) and, when the result differs from the latest assessment's (OUTCOME_KEYS), a new
    assessment is kept with the trigger ``facts_changed`` and its facts become ``sections["risk_facts"]``. An
    earlier override stays; decision() flags it "to review" when the computed verdict it departed from has
    changed."""
    with db.session.no_autoflush:  # the wizard's change is flushed once, with the new facts
        latest = latest_assessment(breach)
        if latest is None:
            return None
        doc = _prefill(breach.sections, latest.facts_edits or {})
        try:
            facts = validate_facts(doc)
        except RiskFactsError as error:
            audit.record("risk.reassess_failed", user=user, obj=breach,
                         details={"fields": changed_fields, "problems": [path for path, _ in error.problems]})
            return None
        result = engine.assess(facts, lang="fr").to_dict("fr")
        if _outcome(result) == _outcome(latest.result):
            return None
    return _store(breach, facts, _document_to_store(facts, doc), user=user, trigger=RiskTrigger.FACTS_CHANGED,
                  edits=dict(latest.facts_edits or {}), details={"fields": changed_fields})


def reassess_after_import(breach: Breach, user: User) -> RiskAssessment | None:
    """Called by services.breaches.import_document, inside its transaction, when the document carries risk facts:
    they are assessed as they are (trigger ``import``), and an imported override with its justification is
    carried onto the assessment."""
    doc = breach.sections.get("risk_facts")
    if not isinstance(doc, dict):
        return None
    try:
        facts = validate_facts(doc)
    except RiskFactsError as error:  # read_document refuses such a document; kept for documents made otherwise
        audit.record("risk.reassess_failed", user=user, obj=breach,
                     details={"trigger": RiskTrigger.IMPORT, "problems": [path for path, _ in error.problems]})
        return None
    row = _store(breach, facts, None, user=user, trigger=RiskTrigger.IMPORT,
                 edits=_edits_from_document(breach.sections, doc))
    imported = breach.sections.get("risk_override")
    if isinstance(imported, dict):
        problem = _imported_override_problem(imported)
        if problem:
            audit.record("risk.override_not_applied", user=user, obj=row, breach_id=breach.id,
                         organisation_id=breach.organisation_id, details={"reason": problem})
        else:
            row.override_notify_authority = imported.get("notify_authority")
            row.override_inform_subjects = imported.get("inform_subjects")
            row.override_justification = imported["justification"].strip()
            by = imported.get("by")
            row.overridden_by_email = by[:254] if isinstance(by, str) and by else None
            row.overridden_at = _instant(imported.get("at")) or utcnow()
            audit.record("risk.override", user=user, obj=row, breach_id=breach.id,
                         organisation_id=breach.organisation_id,
                         details={"trigger": RiskTrigger.IMPORT, "notify_authority": row.override_notify_authority,
                                  "inform_subjects": row.override_inform_subjects})
    return row


def _instant(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        return None
    return instant if instant.tzinfo else None


def _imported_override_problem(override: Mapping[str, Any]) -> str | None:
    verdicts = [override.get("notify_authority"), override.get("inform_subjects")]
    if any(v is not None and not isinstance(v, bool) for v in verdicts):
        return "verdict_not_boolean"
    if all(v is None for v in verdicts):
        return "no_verdict"
    justification = override.get("justification")
    if not isinstance(justification, str) or len(justification.strip()) < OVERRIDE_MIN_JUSTIFICATION:
        return "justification_missing"
    return None


# --- the DPO's override ---------------------------------------------------------------------------------------------

class OverrideError(ValueError):
    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str = "fr") -> str:
        return message(self.code, lang, **self.params)


def parse_verdict(value: str | None) -> bool | None:
    """The override form's choice: "" keeps the computed verdict, "yes" / "no" decide it."""
    if value in (None, ""):
        return None
    if value in ("yes", "no"):
        return value == "yes"
    raise OverrideError("bad_verdict", value=str(value)[:20])


def override(assessment: RiskAssessment | None, user: User, notify: bool | None, inform: bool | None,
             justification: str | None) -> RiskAssessment:
    """The DPO decides otherwise than the computed verdict (docs/risk-method.md section 8), always in writing.

    ``notify`` / ``inform``: True or False decide the verdict, None keeps the computed one; both None withdraw an
    earlier override. The override is written onto the latest assessment (a copy of it when it already carries
    one, so that no decision is ever overwritten) and mirrored in ``sections["risk_override"]`` for the JSON
    document. Raises OverrideError with a message code, PermissionError for anyone but the DPO."""
    if not role_can(user.role, "risk.assess"):
        raise PermissionError("only the DPO overrides a risk verdict")
    if assessment is None:
        raise OverrideError("no_assessment")
    breach = db.session.get(Breach, assessment.breach_id)
    ensure_open(breach)
    latest = latest_assessment(breach)
    if latest is None or latest.id != assessment.id:
        raise OverrideError("not_latest")
    current = decision(breach)
    if notify is None and inform is None and not (current and current["override"]):
        raise OverrideError("nothing_chosen")
    text = (justification or "").strip().replace("\r\n", "\n")
    if len(text) < OVERRIDE_MIN_JUSTIFICATION:
        raise OverrideError("justification_required", min=OVERRIDE_MIN_JUSTIFICATION)
    if len(text) > OVERRIDE_MAX_JUSTIFICATION:
        raise OverrideError("justification_too_long", max=OVERRIDE_MAX_JUSTIFICATION)
    target = assessment
    if assessment.has_override_record:
        target = RiskAssessment(
            breach_id=assessment.breach_id, created_at=utcnow(), created_by_id=user.id, trigger=RiskTrigger.MANUAL,
            facts=assessment.facts, facts_edits=assessment.facts_edits, result=assessment.result,
            severity=assessment.severity, severity_score=assessment.severity_score,
            risk_level=assessment.risk_level, notify_authority=assessment.notify_authority,
            inform_subjects=assessment.inform_subjects,
            public_communication_required=assessment.public_communication_required,
        )
    now = utcnow()
    target.override_notify_authority = notify
    target.override_inform_subjects = inform
    target.override_justification = text
    target.overridden_by_id = user.id
    target.overridden_by_email = user.email
    target.overridden_at = now
    sections = {key: value for key, value in breach.sections.items() if key != "risk_override"}
    if notify is not None or inform is not None:
        sections["risk_override"] = {"notify_authority": notify, "inform_subjects": inform, "justification": text,
                                     "by": user.email, "at": now.isoformat()}
    breach.sections = sections
    db.session.add(target)
    db.session.flush()
    audit.record("risk.override", user=user, obj=target, breach_id=breach.id, organisation_id=breach.organisation_id,
                 details={"notify_authority": notify, "inform_subjects": inform,
                          "withdrawn": notify is None and inform is None, "justification_length": len(text)})
    _flush()
    return target


# --- the decision ---------------------------------------------------------------------------------------------------

def _latest_override_record(breach: Breach) -> RiskAssessment | None:
    return db.session.scalars(
        select(RiskAssessment).where(RiskAssessment.breach_id == breach.id,
                                     RiskAssessment.overridden_at.is_not(None))
        .order_by(RiskAssessment.id.desc()).limit(1)
    ).first()


_YES_NO = {True: N_("oui"), False: N_("non")}
_OVERRIDDEN = {
    "notify_authority": N_("notification à la CNIL\u00a0: %(verdict)s"),
    "inform_subjects": N_("information des personnes\u00a0: %(verdict)s"),
}


def _override_reason(override: Mapping[str, Any]) -> engine.Reason:
    """The DPO's decision as one more reason, after the computed ones (docs/risk-method.md section 8)."""
    chosen = [key for key in _OVERRIDDEN if override[key] is not None]

    def parts(lang: str) -> str:
        separator = translate(N_("\u00a0; "), lang)
        return separator.join(translate(_OVERRIDDEN[key], lang, verdict=translate(_YES_NO[override[key]], lang))
                              for key in chosen)

    text = (N_("Décision du délégué à la protection des données (%(by)s), qui s'écarte du verdict calculé\u00a0: "
               "%(parts)s. Justification\u00a0: «\u00a0%(justification)s\u00a0»") if not override["to_review"] else
            N_("Décision du délégué à la protection des données (%(by)s), qui s'écarte du verdict calculé\u00a0: "
               "%(parts)s. Justification\u00a0: «\u00a0%(justification)s\u00a0» À revoir\u00a0: le verdict "
               "calculé a changé depuis cette décision, prise sur une évaluation antérieure."))
    return engine.Reason("dpo_override", text, (("by", override["by"] or "?"), ("parts", parts),
                                                ("justification", override["justification"])))


def decision(breach: Breach) -> dict[str, Any] | None:
    """The verdicts the establishment acts on: the DPO's override where there is one, the computed verdict
    otherwise. None until the breach has been assessed.

    Keys: ``notify_authority``, ``inform_subjects``, ``public_communication_required``, ``severity``,
    ``severity_score``, ``risk_level`` (effective verdicts and the score they rest on); ``computed`` (the latest
    assessment's own verdicts); ``override`` (None, or notify_authority / inform_subjects (None = not overridden),
    justification, by, at, assessment_id, to_review); ``to_review``; ``assessment`` (the latest RiskAssessment);
    ``reasons(lang)`` (the computed reasons, then the override's, as sentences); ``reasons_i18n``."""
    latest = latest_assessment(breach)
    if latest is None:
        return None
    computed = {
        "notify_authority": latest.notify_authority, "inform_subjects": latest.inform_subjects,
        "public_communication_required": latest.public_communication_required, "severity": latest.severity,
        "severity_score": latest.severity_score, "risk_level": latest.risk_level,
    }
    record = _latest_override_record(breach)
    override_info = None
    if record is not None and record.overrides:
        to_review = record.id != latest.id and (record.notify_authority, record.inform_subjects) != (
            latest.notify_authority, latest.inform_subjects)
        override_info = {
            "notify_authority": record.override_notify_authority,
            "inform_subjects": record.override_inform_subjects,
            "justification": record.override_justification,
            "by": record.overridden_by.email if record.overridden_by else record.overridden_by_email,
            "at": record.overridden_at, "assessment_id": record.id, "to_review": to_review,
            "computed_then": {"notify_authority": record.notify_authority,
                              "inform_subjects": record.inform_subjects},
        }
    effective = dict(computed)
    if override_info:
        for key in ("notify_authority", "inform_subjects"):
            if override_info[key] is not None:
                effective[key] = override_info[key]
    reasons: list[engine.Reason | engine.StoredReason] = [
        engine.StoredReason(r["code"], {lang: r[lang] for lang in LANGUAGES if lang in r})
        for r in latest.result.get("reasons_i18n", [])]
    if override_info:
        reasons.append(_override_reason(override_info))

    def reasons_of(lang: str) -> list[str]:
        return [reason.text(lang) for reason in reasons]

    return {
        **effective,
        "computed": computed,
        "override": override_info,
        "overridden": override_info is not None,
        "to_review": bool(override_info and override_info["to_review"]),
        "assessment": latest,
        "reasons": reasons_of,
        "reasons_i18n": [{"code": r.code, **r.texts()} for r in reasons],
    }
