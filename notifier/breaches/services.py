"""Use cases of the breach record: create, save a wizard step, import and export the JSON document, clocks.

The web views and the CLI call these; the rules themselves live in breaches/rules/. Each use case writes its audit
entry and flushes; the request or the command that called it commits once."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from notifier.accounts.models import User
from notifier.accounts.organisations import Establishment
from notifier.audit import services as audit
from notifier.breaches.closing import ensure_open
from notifier.breaches.models import Breach, BreachChange
from notifier.breaches.rules import form
from notifier.breaches.rules.deadlines import Clock, compute_clocks
from notifier.breaches.states import BreachStatus
from notifier.core import events
from notifier.core.i18n import N_, translate
from notifier.core.types import utcnow
from notifier.extensions import db


class StaleBreachError(Exception):
    """Someone else saved this breach since the page was opened (optimistic locking)."""


@dataclass
class StepResult:
    errors: dict[str, form.FieldError]
    changed: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def next_reference(organisation_id: int, year: int) -> str:
    """VIO-<year>-<n>, numbered per organisation and year (one organisation's numbers tell nothing of another's;
    unique per organisation, uq_breach_organisation_reference): one more than the organisation's highest that year."""
    prefix = f"VIO-{year}-"
    references = db.session.scalars(select(Breach.reference).where(
        Breach.organisation_id == organisation_id, Breach.reference.like(f"{prefix}%")))
    numbers = [int(reference[len(prefix):]) for reference in references if reference[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


def create_breach(user: User, establishment: Establishment) -> Breach:
    """A new draft, its contact section prefilled from the establishment (art. 33(3)(b))."""
    if establishment.organisation_id != user.organisation_id:
        raise PermissionError("establishment of another organisation")
    sections = form.empty_sections()
    sections["notification"]["notification_type"] = "initial"
    sections["contacts"].update(
        contact_name=establishment.dpo_name or None,
        contact_role="Délégué à la protection des données" if establishment.dpo_name else None,
        contact_email=establishment.dpo_email or None,
        contact_phone=establishment.dpo_phone or None,
        legal_rep_name=establishment.legal_representative or None,
        legal_rep_role=establishment.legal_representative_title or None,
    )
    now = utcnow()
    breach = Breach(
        organisation_id=user.organisation_id, establishment=establishment, sections=sections,
        reference=next_reference(user.organisation_id, now.year), created_by=user, status=BreachStatus.DRAFT,
    )
    db.session.add(breach)
    db.session.flush()
    audit.record("breach.create", user=user, obj=breach, details={"reference": breach.reference})
    return breach


def save_step(breach: Breach, step_code: str, raw_values: dict[str, Any], *, user: User, expected_version: int | None,
              period_hours: int = 72, establishment: Establishment | None = None,
              now: datetime | None = None) -> StepResult:
    """Check one wizard step and, only if every field is valid, store it with its change history.

    Nothing already saved is touched when a field is invalid: the step's errors are returned instead."""
    ensure_open(breach)
    now = now or utcnow()
    step = form.STEP_BY_CODE[step_code]
    if expected_version is not None and expected_version != breach.version:
        raise StaleBreachError()
    values: dict[str, Any] = {}
    errors: dict[str, form.FieldError] = {}
    for field in step.fields:
        try:
            values[field.name] = form.parse_form_value(field, raw_values.get(field.name))
        except form.FieldError as error:
            errors[field.name] = error
    if errors:
        return StepResult(errors, [])
    aware = _aware_at(breach.sections, values if step_code == "dates" else None)
    errors = form.check_step(step, values, now=now, aware_at=aware, period_hours=period_hours)
    if errors:
        return StepResult(errors, [])
    changed = _apply(breach, {step_code: values}, user)
    if establishment is not None and establishment.id != breach.establishment_id:
        if establishment.organisation_id != breach.organisation_id:
            raise PermissionError("establishment of another organisation")
        db.session.add(BreachChange(breach_id=breach.id, user_id=user.id, section=step_code,
                                    field="establishment", old_value=breach.establishment.name,
                                    new_value=establishment.name))
        breach.establishment = establishment
        changed.append("establishment")
    if changed:
        if breach.status == BreachStatus.DRAFT and step_code != "notification":
            breach.status = BreachStatus.OPEN
        # Before the flush below, so that the breach's version moves once (risk re-assesses on its fact sections).
        events.breach_step_saved.send(breach, user=user, step_code=step_code, changed=changed)
        audit.record("breach.update", user=user, obj=breach, details={"section": step_code, "fields": changed})
    try:
        db.session.flush()  # the version check (UPDATE ... WHERE version = expected) runs here
    except StaleDataError:
        db.session.rollback()
        raise StaleBreachError() from None
    return StepResult({}, changed)


def _aware_at(sections: dict[str, Any], new_dates: dict[str, Any] | None) -> datetime | None:
    value = (new_dates if new_dates is not None else sections["dates"]).get("aware_at")
    return datetime.fromisoformat(value) if value else None


def _apply(breach: Breach, new_sections: dict[str, dict[str, Any]], user: User | None) -> list[str]:
    """Write values into the breach, one BreachChange row per field that really changed."""
    sections = copy.deepcopy(breach.sections)
    changed = []
    for code, values in new_sections.items():
        for name, value in values.items():
            old = sections[code].get(name)
            if old != value:
                changed.append(name)
                db.session.add(BreachChange(breach_id=breach.id, user_id=user.id if user else None, section=code,
                                            field=name, old_value=old, new_value=value))
                sections[code][name] = value
    if changed:
        breach.sections = sections  # a new object, so SQLAlchemy sees the JSON change
        breach.title = sections["notification"].get("title") or ""
        breach.aware_at = _aware_at(sections, None)
        sent = sections["cnil_submission"].get("cnil_sent_at")
        breach.cnil_sent_at = datetime.fromisoformat(sent) if sent else None
    return changed


def close_breach(breach: Breach, user: User) -> None:
    """Close the breach: from now on it is read-only (notifier.breaches.closing) until a DPO reopens it."""
    ensure_open(breach)
    db.session.add(BreachChange(breach_id=breach.id, user_id=user.id if user else None, section="status",
                                field="status", old_value=breach.status, new_value=BreachStatus.CLOSED))
    breach.status = BreachStatus.CLOSED
    breach.closed_at = utcnow()
    audit.record("breach.close", user=user, obj=breach)


REOPEN_REASON_MIN = 10  # characters: "erreur" alone says nothing to the CNIL or to an auditor
REOPEN_REASON_MAX = 2000


class ReopenRefused(Exception):
    def __init__(self, code: str):
        self.code = code
        super().__init__(code)

    def message(self, lang: str = "fr") -> str:
        return translate(REOPEN_MESSAGES[self.code], lang, minimum=REOPEN_REASON_MIN, maximum=REOPEN_REASON_MAX)


REOPEN_MESSAGES = {
    "not_closed": N_("Cette violation n'est pas clôturée."),
    "not_dpo": N_("Seul un DPO peut rouvrir une violation clôturée."),
    "reason_required": N_("Indiquez le motif de la réouverture (%(minimum)s caractères au moins, %(maximum)s au "
                          "plus)\u00a0: il figure à l'historique et au journal d'audit."),
}


def reopen_breach(breach: Breach, user: User, reason: str) -> None:
    """Reopen a closed breach (a late finding, a CNIL question): a DPO only, with a written reason, kept in the
    breach's history (old status, new status, reason) and in the audit trail. The register then shows it open
    again; the earlier closing stays in the history."""
    if breach.status != "closed":
        raise ReopenRefused("not_closed")
    if user is None or user.role != "dpo":
        raise ReopenRefused("not_dpo")
    reason = " ".join((reason or "").split())
    if not REOPEN_REASON_MIN <= len(reason) <= REOPEN_REASON_MAX:
        raise ReopenRefused("reason_required")
    db.session.add_all([
        BreachChange(breach_id=breach.id, user_id=user.id, section="status", field="status", old_value="closed",
                     new_value="open"),
        BreachChange(breach_id=breach.id, user_id=user.id, section="status", field="reopen_reason",
                     old_value=None, new_value=reason),
    ])
    closed_at = breach.closed_at
    breach.status = "open"
    breach.closed_at = None
    audit.record("breach.reopen", user=user, obj=breach,
                 details={"reason": reason, "closed_at": closed_at.isoformat() if closed_at else None})
    db.session.commit()


def clocks(breach: Breach, *, period_hours: int = 72, now: datetime | None = None) -> list[Clock]:
    """Every deadline of the breach (CNIL, ARS / CERT Santé, NIS2 when in scope); empty until awareness is known."""
    if breach.aware_at is None:
        return []
    other = breach.sections["other_bodies"]

    def instant(name):
        return datetime.fromisoformat(other[name]) if other.get(name) else None

    return compute_clocks(
        breach.aware_at, period_hours=period_hours, nis2_in_scope=breach.establishment.nis2_in_scope,
        cnil_sent_at=breach.cnil_sent_at, ars_reported_at=instant("ars_reported_at"),
        nis2_early_warning_sent_at=instant("nis2_early_warning_sent_at"),
        nis2_notification_sent_at=instant("nis2_notification_sent_at"),
        nis2_final_report_sent_at=instant("nis2_final_report_sent_at"), now=now or utcnow(),
    )


def urgency_key(breach: Breach, now: datetime) -> tuple:
    """Dashboard order: unsent CNIL notifications by deadline (overdue first), then the rest by awareness."""
    cnil = next((c for c in clocks(breach, now=now) if c.code == "cnil"), None)
    if cnil is not None and cnil.done_at is None:
        return (0, cnil.due)
    return (1, -(breach.aware_at or breach.created_at).timestamp())


def open_breaches(organisation_id: int) -> list[Breach]:
    now = utcnow()
    breaches = db.session.scalars(
        select(Breach).where(Breach.organisation_id == organisation_id, Breach.status != BreachStatus.CLOSED)
    ).all()
    return sorted(breaches, key=lambda b: urgency_key(b, now))


def history(breach: Breach) -> list[BreachChange]:
    return db.session.scalars(
        select(BreachChange).where(BreachChange.breach_id == breach.id).order_by(BreachChange.id.desc())
    ).all()


# --- the JSON document --------------------------------------------------------------------------------------------

def export_json(breach: Breach, *, user: User | None = None, via: str | None = None) -> str:
    """The breach's JSON document as downloaded (web) or written (`notifier breach export`), recorded in the audit
    trail (flushed: the request or the command commits)."""
    body = json.dumps(export_document(breach), ensure_ascii=False, indent=2)
    audit.record("breach.export", user=user, obj=breach, details={"format": "json", **audit.via(via)})
    return body


def export_document(breach: Breach) -> dict[str, Any]:
    """The machine-readable form of everything the wizard records (docs/breach-format.md)."""
    establishment = breach.establishment
    doc: dict[str, Any] = {
        "format": form.FORMAT_NAME,
        "format_version": form.FORMAT_VERSION,
        "reference": breach.reference,
        "status": breach.status,
        "exported_at": utcnow().isoformat(),
        "establishment": {"name": establishment.name, "siren": establishment.siren or None,
                          "finess": establishment.finess or None},
        "sections": {
            step.code: {f.name: form.export_value(f, breach.sections[step.code].get(f.name)) for f in step.fields}
            for step in form.STEPS
        },
    }
    for key in ("risk_facts", "risk_override"):
        if breach.sections.get(key) is not None:
            doc[key] = breach.sections[key]
    return doc


def import_document(doc: Any, user: User, *, now: datetime | None = None, lang: str = "en") -> Breach:
    """Create a breach from a document: all of it or nothing. Raises BreachDocumentError, its messages in
    ``lang``."""
    sections = form.read_document(doc, now=now or utcnow(), lang=lang, other_checks=lambda checked: [
        problem for problems in events.gathered(events.breach_document_checking.send(checked, lang=lang))
        for problem in problems])
    given = doc["establishment"]
    establishment = _find_establishment(user.organisation_id, given)
    if establishment is None:
        raise form.BreachDocumentError([("establishment", translate(
            N_("aucun établissement nommé %(name)s (ni avec ce SIREN ou ce FINESS) dans votre organisation\u00a0: "
               "un administrateur doit d'abord le créer"), lang, name=repr(given["name"])))])
    created = utcnow()
    breach = Breach(
        organisation_id=user.organisation_id, establishment=establishment, sections=form.empty_sections(),
        reference=next_reference(user.organisation_id, created.year), created_by=user,
        status=BreachStatus.OPEN if doc.get("status") in (None, BreachStatus.DRAFT) else doc["status"],
    )
    db.session.add(breach)
    db.session.flush()
    _apply(breach, sections, user)
    extras = {key: doc[key] for key in ("risk_facts", "risk_override") if doc.get(key) is not None}
    if extras:
        breach.sections = {**breach.sections, **extras}
    audit.record("breach.import", user=user, obj=breach, details={"source_reference": doc.get("reference")})
    events.breach_imported.send(breach, user=user, document=doc)
    db.session.flush()
    return breach


def _find_establishment(organisation_id: int, given: dict[str, Any]) -> Establishment | None:
    candidates = db.session.scalars(
        select(Establishment).where(Establishment.organisation_id == organisation_id)
    ).all()
    for key in ("finess", "siren"):
        if given.get(key):
            for establishment in candidates:
                if getattr(establishment, key) == given[key]:
                    return establishment
    return next((e for e in candidates if e.name.casefold() == given["name"].casefold()), None)
