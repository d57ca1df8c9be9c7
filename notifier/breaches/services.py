"""Use cases of the breach record: create, save a wizard step, import and export the JSON document, clocks.

The web views and the CLI call these; the rules themselves live in breaches/rules/. Each use case writes its audit
entry and flushes; the request or the command that called it commits once."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from notifier.accounts.models import User
from notifier.accounts.organisations import Establishment, dpo_title
from notifier.audit import services as audit
from notifier.audit.models import AuditEntry
from notifier.breaches.closing import ensure_open
from notifier.breaches.models import Breach, BreachChange
from notifier.breaches.rules import deadlines, form, progress
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
    unique per organisation, uq_breach_organisation_reference): one more than the organisation's highest that year,
    a deleted draft's number included (the audit trail names it: a number never designates two records)."""
    prefix = f"VIO-{year}-"
    references = list(db.session.scalars(select(Breach.reference).where(
        Breach.organisation_id == organisation_id, Breach.reference.like(f"{prefix}%"))))
    references += [str((details or {}).get("reference") or "") for details in db.session.scalars(
        select(AuditEntry.details).where(AuditEntry.organisation_id == organisation_id,
                                         AuditEntry.action == "breach.delete"))]
    numbers = [int(reference[len(prefix):]) for reference in references if reference[len(prefix):].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:04d}"


FIRST_STEP = form.STEPS[0].code


def start_breach(user: User, establishment: Establishment | None, raw_values: dict[str, Any], *,
                 period_hours: int = 72, now: datetime | None = None) -> tuple[Breach | None, StepResult]:
    """"Déclarer une violation": the record (and its number) is created only when its first step is saved with
    valid values, so that an abandoned form leaves nothing in the art. 33(5) register. The internal title is asked
    for then: the register never lists a "(sans intitulé)" record."""
    now = now or utcnow()
    values, errors = check_values(FIRST_STEP, raw_values, form.empty_sections(), now=now, period_hours=period_hours)
    if not errors and not values.get("title"):
        errors = {"title": form.FieldError("title_required")}
    if errors or establishment is None:
        return None, StepResult(errors, [])
    breach = create_breach(user, establishment)
    result = save_step(breach, FIRST_STEP, raw_values, user=user, expected_version=None, period_hours=period_hours,
                       now=now)
    return breach, result


def create_breach(user: User, establishment: Establishment) -> Breach:
    """A new draft, its contact section prefilled from the establishment (art. 33(3)(b))."""
    if establishment.organisation_id != user.organisation_id:
        raise PermissionError("establishment of another organisation")
    sections = form.empty_sections()
    sections["notification"]["notification_type"] = "initial"
    sections["contacts"].update(
        contact_name=establishment.dpo_name or None,
        contact_role=dpo_title(establishment) if establishment.dpo_name else None,
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
    events.breach_created.send(breach, user=user)
    return breach


def save_step(breach: Breach, step_code: str, raw_values: dict[str, Any], *, user: User, expected_version: int | None,
              period_hours: int = 72, establishment: Establishment | None = None,
              now: datetime | None = None) -> StepResult:
    """Check one wizard step and, only if every field is valid, store it with its change history.

    Nothing already saved is touched when a field is invalid: the step's errors are returned instead."""
    ensure_open(breach)
    now = now or utcnow()
    if expected_version is not None and expected_version != breach.version:
        raise StaleBreachError()
    values, errors = check_values(step_code, raw_values, breach.sections, now=now, period_hours=period_hours)
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


def check_values(step_code: str, raw_values: dict[str, Any], sections: dict[str, Any], *, now: datetime,
                 period_hours: int = 72) -> tuple[dict[str, Any], dict[str, form.FieldError]]:
    """One step's values as typed -> (stored form, errors): each field, then the rules tying the step's fields (and
    the awareness time of the record) together."""
    step = form.STEP_BY_CODE[step_code]
    values: dict[str, Any] = {}
    errors: dict[str, form.FieldError] = {}
    for field in step.fields:
        try:
            values[field.name] = form.parse_form_value(field, raw_values.get(field.name))
        except form.FieldError as error:
            errors[field.name] = error
    if errors:
        return values, errors
    aware = _aware_at(sections, values if step_code == "dates" else None)
    return values, form.check_step(step, values, now=now, aware_at=aware, period_hours=period_hours)


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


DELETE_REASON_MIN = 10  # characters, as for a reopening: the audit trail must say why the record went away
DELETE_REASON_MAX = 2000

# What hangs from a breach in another feature's table, as the DPO names it. Any other table that refers to the
# breach also keeps it from being deleted (a feature added later), named by its table.
_HOLDERS = {"patient": N_("des patients"), "patient_import": N_("des imports de patients"),
            "report_version": N_("des documents générés"), "letter": N_("des courriers"),
            "letter_template": N_("des modèles de courrier"), "letter_job": N_("des générations de courriers"),
            "evidence": N_("des pièces au dossier"), "exchange": N_("des échanges avec les autorités"),
            "hotline_call": N_("des appels à la cellule d'écoute"), "call_script": N_("un script d'appel")}
# Rows of the breach itself, deleted with it: its change history and its risk assessments, and what other features
# generate for every breach (the case's action plan from the template, its timeline, the reminders already sent).
_OWNED = ("breach_change", "risk_assessment", "case_task", "timeline_event", "reminder_sent")


class DeleteRefused(Exception):
    def __init__(self, code: str, **params: Any):
        self.code = code
        self.params = params
        super().__init__(code)

    def message(self, lang: str = "fr") -> str:
        params = dict(self.params)
        if "holders" in params:
            params["holders"] = ", ".join(translate(h, lang) if h in _HOLDERS.values() else h
                                          for h in params["holders"])
        return translate(DELETE_MESSAGES[self.code], lang, minimum=DELETE_REASON_MIN, maximum=DELETE_REASON_MAX,
                         **params)


DELETE_MESSAGES = {
    "not_dpo": N_("Seul un DPO peut supprimer une violation."),
    "closed": N_("Une violation clôturée reste au registre\u00a0: elle ne peut pas être supprimée."),
    "notified": N_("Cette violation a été notifiée ou signalée (CNIL, ARS, NIS2)\u00a0: elle reste au registre et ne "
                   "peut pas être supprimée."),
    "held": N_("Cette violation a %(holders)s\u00a0: elle ne peut pas être supprimée."),
    "reason_required": N_("Indiquez le motif de la suppression (%(minimum)s caractères au moins, %(maximum)s au "
                          "plus) : il figure au journal d'audit."),
}


def _referring_tables():
    """The tables with a column that refers to breach.id, other than the breach's own."""
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if any(fk.column.table.name == "breach" and fk.column.name == "id" for fk in column.foreign_keys):
                yield table, column


def deletion_blockers(breach: Breach) -> list[str]:
    """Why this breach cannot be deleted (empty: it can). A draft may go only when it was never notified nor
    reported (the CNIL, the ARS / CERT Santé, NIS2: once sent, the record is evidence, GDPR art. 33(5)) and nothing
    hangs from it: no patients, no documents, no letters."""
    if breach.status == BreachStatus.CLOSED:
        return ["closed"]
    other = breach.sections.get("other_bodies", {})
    sent = [breach.cnil_sent_at, breach.sections.get("cnil_submission", {}).get("cnil_sent_at"),
            other.get("ars_reported_at"), other.get("nis2_early_warning_sent_at"),
            other.get("nis2_notification_sent_at"), other.get("nis2_final_report_sent_at")]
    if any(sent) or other.get("ars_reported"):
        return ["notified"]
    holders = []
    for table, column in _referring_tables():
        if table.name in _OWNED:
            continue
        if db.session.execute(select(column).where(column == breach.id).limit(1)).first() is not None:
            holders.append(_HOLDERS.get(table.name, table.name))
    return [f"held:{h}" for h in dict.fromkeys(holders)]


def delete_draft(breach: Breach, user: User, reason: str) -> str:
    """Delete a draft recorded by mistake (a test, a duplicate, not a breach after all): a DPO only, with a written
    reason, kept in the audit trail with the record's number; its number is never given again. Returns the
    reference. Raises DeleteRefused."""
    if user is None or user.role != "dpo":
        raise DeleteRefused("not_dpo")
    blockers = deletion_blockers(breach)
    if blockers:
        if blockers[0].startswith("held:"):
            raise DeleteRefused("held", holders=[b.split(":", 1)[1] for b in blockers])
        raise DeleteRefused(blockers[0])
    reason = " ".join((reason or "").split())
    if not DELETE_REASON_MIN <= len(reason) <= DELETE_REASON_MAX:
        raise DeleteRefused("reason_required")
    reference = breach.reference
    audit.record("breach.delete", user=user, obj=breach, details={
        "reference": reference, "reason": reason, "title": breach.title, "status": breach.status,
        "created_at": breach.created_at.isoformat() if breach.created_at else None})
    for table, column in _referring_tables():
        if table.name in _OWNED:
            db.session.execute(table.delete().where(column == breach.id))
    db.session.delete(breach)
    db.session.flush()
    return reference


def touched_steps(breach: Breach) -> set[str]:
    """The steps saved at least once with a value (their change history)."""
    return set(db.session.scalars(select(BreachChange.section).where(BreachChange.breach_id == breach.id)
                                  .distinct()))


def step_states(breach: Breach, *, refused: Mapping[str, Sequence[str]] | set[str] = frozenset(),
                period_hours: int = 72,
                now: datetime | None = None) -> dict[str, progress.StepState]:
    """Each page of the wizard with its state (the record's steps and the risk step)."""
    states = progress.step_states(breach.sections, touched=touched_steps(breach), refused=refused,
                                  now=now or utcnow(), aware_at=breach.aware_at, period_hours=period_hours)
    states[progress.RISK_STEP] = progress.risk_state(risk_decision(breach))
    return states


def risk_decision(breach: Breach) -> dict[str, Any] | None:
    """The risk verdict in force, for the pages of the breach feature: asked of the risk feature, which builds on
    breaches (notifier/core/events.py), so None when no feature answers or before any assessment."""
    return next(iter(events.gathered(events.risk_decision_wanted.send(breach))), None)


def clocks(breach: Breach, *, period_hours: int = 72, now: datetime | None = None) -> list[Clock]:
    """Every deadline of the breach (CNIL, ARS / CERT Santé, NIS2 when in scope, a complementary notification
    promised, and those other features give: the letters to send); empty until awareness is known."""
    if breach.aware_at is None:
        return []
    other = breach.sections["other_bodies"]

    def instant(name):
        return datetime.fromisoformat(other[name]) if other.get(name) else None

    now = now or utcnow()
    result = compute_clocks(
        breach.aware_at, period_hours=period_hours, nis2_in_scope=breach.establishment.nis2_in_scope,
        cnil_sent_at=breach.cnil_sent_at, ars_reported_at=instant("ars_reported_at"),
        nis2_early_warning_sent_at=instant("nis2_early_warning_sent_at"),
        nis2_notification_sent_at=instant("nis2_notification_sent_at"),
        nis2_final_report_sent_at=instant("nis2_final_report_sent_at"), now=now,
    )
    others = [clock for found in events.gathered(events.breach_clocks_wanted.send(breach, now=now)) for clock in found]
    return result + _more_clocks(breach, result, instant, now) + others


def _more_clocks(breach: Breach, result: list[Clock], instant, now: datetime) -> list[Clock]:
    """The clocks of issue 15 beside compute_clocks': the NIS2 intermediate and progress reports (art. 23(4)(c) and
    (e)), the NIS1 declaration to the ANSSI. A final report moved by art. 23(4)(e) replaces compute_clocks' one in
    ``result`` (in place: the order of the list stays); one not yet datable is removed."""
    extra: list[Clock] = []
    if breach.establishment.nis2_in_scope:
        intermediate = deadlines.nis2_intermediate_clock(
            instant("nis2_intermediate_requested_at"), due_at=instant("nis2_intermediate_due_at"),
            sent_at=instant("nis2_intermediate_sent_at"), now=now)
        if intermediate is not None:
            extra.append(intermediate)
        final = next((c for c in result if c.code == "nis2_final_report"), None)
        dates = breach.sections.get("dates") or {}
        if final is not None:
            follow = deadlines.nis2_progress_clocks(
                final.due, ongoing=bool(dates.get("ongoing")), handled_at=instant("nis2_incident_handled_at"),
                ended_at=datetime.fromisoformat(dates["ended_at"]) if dates.get("ended_at") else None,
                progress_report_sent_at=instant("nis2_progress_report_sent_at"),
                final_report_sent_at=instant("nis2_final_report_sent_at"), now=now)
            if follow:
                position = result.index(final)
                moved = [c for c in follow if c.code == "nis2_final_report"]
                result[position:position + 1] = moved
                extra += [c for c in follow if c.code != "nis2_final_report"]
    if breach.establishment.nis1_oes:
        extra.append(deadlines.anssi_oes_clock(breach.aware_at, reported_at=instant("anssi_reported_at"), now=now))
    submission = breach.sections.get("cnil_submission") or {}
    if submission.get("cnil_complement_due_at"):  # GDPR art. 33(4): the complement promised to the CNIL
        extra.append(deadlines.cnil_complement_clock(
            datetime.fromisoformat(submission["cnil_complement_due_at"]), now=now,
            sent_at=datetime.fromisoformat(submission["cnil_complement_sent_at"])
            if submission.get("cnil_complement_sent_at") else None))
    return extra


def urgency_key(breach: Breach, now: datetime, period_hours: int = 72) -> tuple:
    """Dashboard order: by the nearest open deadline among all the breach's clocks (overdue first, then the
    soonest), breaches with no open deadline last (``progress.dashboard_key``)."""
    return progress.dashboard_key(clocks(breach, period_hours=period_hours, now=now),
                                  aware_or_created=breach.aware_at or breach.created_at,
                                  reference=breach.reference or "")


def open_breaches(organisation_id: int, *, period_hours: int = 72, now: datetime | None = None) -> list[Breach]:
    """The organisation's breaches not closed, in the dashboard's order (``urgency_key``)."""
    now = now or utcnow()
    breaches = db.session.scalars(
        select(Breach).where(Breach.organisation_id == organisation_id, Breach.status != BreachStatus.CLOSED)
    ).all()
    return sorted(breaches, key=lambda b: urgency_key(b, now, period_hours))


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
    events.breach_created.send(breach, user=user)
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
