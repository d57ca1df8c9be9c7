"""Where the wizard stands: the order of its steps (the risk assessment before "Information des personnes", which it
decides), each step's state (complete, incomplete with what is missing, in error) and the "what to do next"
checklist of the breach page. Pure: the views and the tests feed it the breach's sections and facts.

What a step needs is what the CNIL online form asks for and GDPR art. 33(3) requires; the conditions follow the
form's own logic (a processor named when one is involved, the reasons when people are not informed)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from notifier.breaches.rules import awareness
from notifier.breaches.rules.form import FIELD_BY_NAME, STEPS, Step, check_step
from notifier.core.i18n import N_

RISK_STEP = "risk"
"""The risk assessment page (notifier/risk): not a section of the record, a step of the wizard all the same."""

RISK_BEFORE = "information"
"""GDPR art. 34(1): the people are informed when the breach "is likely to result in a high risk", which the risk
assessment decides; so the assessment comes right before "Information des personnes"."""


def wizard_order(step_codes: list[str] | None = None, *, with_risk: bool = True) -> list[str]:
    """The codes of the wizard's pages in order: the record's steps, with the risk step before RISK_BEFORE (at the
    end when that step is absent)."""
    codes = list(step_codes if step_codes is not None else (s.code for s in STEPS))
    if with_risk:
        codes.insert(codes.index(RISK_BEFORE) if RISK_BEFORE in codes else len(codes), RISK_STEP)
    return codes


def neighbours(code: str, order: list[str]) -> tuple[str | None, str | None]:
    """The page before and the page after ``code`` in the wizard (None at either end)."""
    index = order.index(code)
    return (order[index - 1] if index > 0 else None, order[index + 1] if index + 1 < len(order) else None)


class StepStatus(StrEnum):
    """A step's state in the menu (computed, never stored)."""

    COMPLETE = "complete"
    INCOMPLETE = "incomplete"
    ERROR = "error"


@dataclass(frozen=True)
class Requirement:
    """One thing a step needs: any one of ``fields`` answered, when ``applies(section)`` holds. ``label`` is the
    French msgid shown in the menu ("what is missing")."""

    fields: tuple[str, ...]
    label: str | None = None
    applies: Callable[[dict[str, Any]], bool] | None = None

    def text(self) -> str:
        return self.label or FIELD_BY_NAME[self.fields[0]].label


def _when(name: str, *values: Any) -> Callable[[dict[str, Any]], bool]:
    return lambda section: section.get(name) in values


def _r(*fields: str, label: str | None = None, applies=None) -> Requirement:
    return Requirement(tuple(fields), label, applies)


REQUIREMENTS: dict[str, tuple[Requirement, ...]] = {
    "notification": (
        _r("notification_type"), _r("title"),
        # GDPR art. 33(4): a complementary notification refers to the initial one.
        _r("cnil_previous_reference", applies=_when("notification_type", "complementary")),
    ),
    "contacts": (  # art. 33(3)(b)
        _r("contact_name"),
        _r("contact_email", "contact_phone", label=N_("Courriel ou téléphone du contact")),
        _r("legal_rep_name"),
    ),
    "dates": (  # art. 33(1); EDPB Guidelines 9/2022 on awareness
        _r("aware_at", "aware_unknown"),
        _r("discovered_at", "discovered_unknown"),
        _r("started_at", "started_unknown"),
        _r("ended_at", "ongoing", label=N_("Fin de la violation (ou «\u00a0toujours en cours\u00a0»)")),
        _r("discovery_circumstances"),
    ),
    "nature": (_r("natures"), _r("nature_details")),  # art. 33(3)(a)
    "origin": (_r("origins"), _r("cause")),
    "systems": (
        _r("systems"),
        _r("processors", applies=_when("processors_involved", True)),  # art. 33(2)
    ),
    "people": (_r("people_categories"), _r("people_count")),  # art. 33(3)(a)
    "data": (_r("data_categories"), _r("records_count")),  # art. 33(3)(a)
    "consequences": (  # art. 33(3)(c)
        _r("consequences", "consequences_details", label=N_("Conséquences probables")),
        _r("severity"),
    ),
    "measures": (  # art. 33(3)(d)
        _r("measures_taken", "measures_planned", label=N_("Mesures prises ou envisagées")),
    ),
    "information": (  # art. 34
        _r("information_status"),
        _r("information_date", applies=_when("information_status", "done")),
        _r("information_channels", applies=_when("information_status", "done", "will_be")),
        # Art. 34(3) and the CNIL form: not informing the people needs its exception or its reasons.
        _r("art_34_3_exception", "information_justification",
           label=N_("Exception de l'article 34(3) ou justification"), applies=_when("information_status",
                                                                                   "will_not_be")),
    ),
    "other_bodies": (
        _r("ars_reported_at", applies=_when("ars_reported", True)),
        _r("police_complaint_at", applies=_when("police_complaint", True)),
        _r("cross_border_countries", applies=_when("cross_border", True)),  # art. 56
    ),
    "cnil_submission": (_r("cnil_sent_at"), _r("cnil_reference")),
}


@dataclass(frozen=True)
class StepState:
    code: str
    status: str
    """A StepStatus."""
    missing: tuple[str, ...] = ()
    """French msgids of what is missing (incomplete) or of the fields in error (error)."""
    note: str | None = None
    """A French msgid that says the rest (nothing entered yet, the risk not assessed...)."""
    errors: tuple[str, ...] = field(default=())
    """Names of the fields in error."""
    warnings: tuple[str, ...] = field(default=())
    """Codes of the warnings on the step's stored values (awareness.awareness_warnings): saved, but to check. The
    menu says so in ``note`` when nothing else is to say."""


def _answered(value: Any) -> bool:
    return value not in (None, "", [], False)


def step_state(step: Step, section: dict[str, Any], *, touched: bool, refused: bool = False,
               errors: dict[str, Any] | None = None, refused_fields: Sequence[str] = ()) -> StepState:
    """The state of one step of the record.

    ``touched``: the step was ever saved with a value (its change history); ``refused``: its last submission was
    refused (nothing stored); ``errors``: the stored values that fail the step's rules today (a cross-step rule,
    e.g. the CNIL sent late without reasons after the awareness time was moved); ``refused_fields``: the names of
    the fields that submission refused, named in the menu."""
    if errors or refused:
        names = tuple(errors or ()) + tuple(name for name in refused_fields if name not in (errors or ()))
        labels = tuple(FIELD_BY_NAME[name].label for name in names if name in FIELD_BY_NAME)
        return StepState(step.code, StepStatus.ERROR, labels,
                         None if labels else N_("Le dernier enregistrement a été refusé\u00a0: corrigez les champs "
                                                "signalés."), names)
    missing = tuple(requirement.text() for requirement in REQUIREMENTS.get(step.code, ())
                    if (requirement.applies is None or requirement.applies(section))
                    and not any(_answered(section.get(name)) for name in requirement.fields))
    if missing:
        return StepState(step.code, StepStatus.INCOMPLETE, missing)
    if not touched and not any(_answered(section.get(f.name)) for f in step.fields):
        return StepState(step.code, StepStatus.INCOMPLETE, (), N_("Rien n'est encore saisi."))
    return StepState(step.code, StepStatus.COMPLETE)


def step_states(sections: dict[str, dict[str, Any]], *, touched: set[str],
                refused: Mapping[str, Sequence[str]] | set[str] = frozenset(),
                now: datetime, aware_at: datetime | None, period_hours: int = 72) -> dict[str, StepState]:
    """Every step's state; the stored values are checked again against the rules that tie steps together.
    ``refused``: the steps whose last submission was refused, with the names of the refused fields when known."""
    states = {}
    for step in STEPS:
        section = sections.get(step.code, {})
        errors = check_step(step, section, now=now, aware_at=aware_at, period_hours=period_hours)
        states[step.code] = step_state(step, section, touched=step.code in touched, refused=step.code in refused,
                                       errors=errors, refused_fields=refused.get(step.code, ())
                                       if isinstance(refused, Mapping) else ())
    return _with_warnings(states, awareness.awareness_warnings(sections, period_hours=period_hours))


def _with_warnings(states: dict[str, StepState], warnings: list) -> dict[str, StepState]:
    """The warnings on the stored values (rules that tie steps together and do not refuse a save: the awareness
    time against the processor's alert) added to their step's state; the menu shows the step's note."""
    for warning in warnings:
        state = states.get(warning.step)
        if state is None:
            continue
        states[warning.step] = replace(state, warnings=(*state.warnings, warning.code),
                                       note=state.note or (None if state.missing else awareness.MENU_NOTE))
    return states


def risk_state(decision: dict[str, Any] | None) -> StepState:
    """The risk step: complete once assessed, in error while the DPO's decision is to review (the computed verdict
    changed since), incomplete before."""
    if decision is None:
        return StepState(RISK_STEP, StepStatus.INCOMPLETE, (), N_("Risque pas encore évalué."))
    if decision.get("to_review"):
        return StepState(RISK_STEP, StepStatus.ERROR, (), N_("Décision du DPO à revoir\u00a0: le verdict calculé a "
                                                             "changé depuis."))
    return StepState(RISK_STEP, StepStatus.COMPLETE)


# --- "what to do next" ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Todo:
    """One line of the breach page's checklist: ``text`` a French msgid with ``params``; ``target`` where to do it
    (a step code, "risk", "letters", "patients", "reports"); ``due`` the deadline when there is one."""

    code: str
    text: str
    target: str
    done: bool = False
    due: datetime | None = None
    params: tuple[tuple[str, Any], ...] = ()


def checklist(sections: dict[str, dict[str, Any]], *, states: dict[str, StepState], clocks: list,
              decision: dict[str, Any] | None, patients: int | None = None,
              letters_approved: bool | None = None, letters_sent: int | None = None) -> list[Todo]:
    """The short list of what the DPO has to do next, derived from the record, the clocks, the risk verdict and
    (when the features are there) the patients and the letters. Open items first, in the order of the day."""
    todos: list[Todo] = []
    dates = sections.get("dates", {})
    if not _answered(dates.get("aware_at")):
        todos.append(Todo("aware_at", N_("Renseigner la date de prise de connaissance (point de départ des "
                                         "72 h)"), "dates"))
    dates_state = states.get("dates")
    if dates_state is not None and dates_state.warnings:
        # GDPR art. 33(2), WP250 rev.01 II.A.4: the 72 h may run from the processor's alert, not the date typed.
        todos.append(Todo("awareness_check", awareness.MENU_NOTE, "dates"))
    open_steps = [code for code, state in states.items() if state.status != StepStatus.COMPLETE
                  and code not in ("cnil_submission",)]
    if open_steps:
        todos.append(Todo("steps", N_("Compléter la fiche\u00a0: %(count)s étape(s) incomplète(s)"), open_steps[0],
                          params=(("count", len(open_steps)),)))
    if decision is None:
        todos.append(Todo("risk", N_("Évaluer le risque pour les personnes"), RISK_STEP))
    elif decision.get("to_review"):
        todos.append(Todo("risk_review", N_("Revoir la décision du DPO sur le risque"), RISK_STEP))
    by_code = {clock.code: clock for clock in clocks}
    notify = decision is None or decision.get("notify_authority", True)
    cnil = by_code.get("cnil")
    if cnil is not None and notify:
        todos.append(Todo("cnil", N_("Notifier la CNIL avant le %(due)s"), "cnil_submission",
                          done=cnil.done_at is not None, due=cnil.due))
    ars = by_code.get("ars_cert_sante")
    if ars is not None:
        todos.append(Todo("ars", N_("Signaler l'incident à l'ARS / CERT Santé (sans délai)"), "other_bodies",
                          done=ars.done_at is not None, due=ars.due))
    for code in ("nis2_early_warning", "nis2_notification", "nis2_final_report"):
        clock = by_code.get(code)
        if clock is not None:
            todos.append(Todo(code, N_("Envoyer\u00a0: %(what)s, avant le %(due)s"), "other_bodies",
                              done=clock.done_at is not None, due=clock.due, params=(("what", clock.label),)))
    letters_clock = by_code.get("patient_letters")
    letters_line = decision is not None and bool(decision.get("inform_subjects")) \
        and not decision.get("public_communication_required") and letters_sent is not None
    known = {"cnil", "ars_cert_sante", "nis2_early_warning", "nis2_notification", "nis2_final_report"}
    if letters_line:
        known.add("patient_letters")  # the letters line below carries its date
    where = {"cnil_complement": "cnil_submission", "patient_letters": "letters"}
    for clock in clocks:  # the other clocks (a complementary notification promised, letters to send, NIS2 follow-up)
        if clock.code not in known:
            todos.append(Todo(clock.code, N_("Respecter le délai\u00a0: %(what)s, avant le %(due)s"),
                              where.get(clock.code, "reports"), done=clock.done_at is not None, due=clock.due,
                              params=(("what", clock.label),)))
    if decision is not None and decision.get("inform_subjects"):
        if decision.get("public_communication_required"):
            todos.append(Todo("public_notice", N_("Publier la communication publique (art. 34(3)(c))"), "letters"))
        else:
            if patients is not None:
                todos.append(Todo("patients", N_("Importer la liste des patients concernés"), "patients",
                                  done=patients > 0))
            if letters_approved is not None:
                todos.append(Todo("letter_approval", N_("Faire approuver le modèle de courrier (quatre yeux)"),
                                  "letters", done=letters_approved))
            if letters_sent is not None:
                todos.append(Todo("letters", N_("Générer et envoyer les courriers aux patients"), "letters",
                                  done=letters_sent > 0 and letters_clock is None,
                                  due=letters_clock.due if letters_clock is not None else None))
    information = sections.get("information", {})
    if decision is not None and not _answered(information.get("information_status")):
        todos.append(Todo("information", N_("Indiquer si et comment les personnes sont informées (art. 34)"),
                          "information"))
    order = {id(todo): index for index, todo in enumerate(todos)}
    return sorted(todos, key=lambda todo: (todo.done, todo.due is None, todo.due.timestamp() if todo.due else 0,
                                           order[id(todo)]))


# --- the nearest deadline ---------------------------------------------------------------------------------------

def open_clocks(clocks: list) -> list:
    """The clocks whose duty is not done yet, nearest first: an overdue one before a pending one, then by due time
    (a "sans délai" duty is due from awareness, so it comes first until it is done). Over whatever clocks the
    service returns (CNIL, ARS / CERT Santé, NIS2 stages, and any clock added later)."""
    return sorted((clock for clock in clocks if clock.done_at is None), key=lambda clock: clock.due)


def nearest_open(clocks: list):
    """The nearest open deadline among all the clocks, or None when every duty is done (or none started)."""
    pending = open_clocks(clocks)
    return pending[0] if pending else None


def dashboard_key(clocks: list, *, aware_or_created: datetime, reference: str = "") -> tuple:
    """The dashboard's order (issue 13: the nearest open deadline of each breach in sight): by that deadline, so
    overdue duties first (the longest overdue on top), then the soonest; a breach with no open deadline (every duty
    done, or awareness not entered yet) after them, the most recent first. The reference breaks ties."""
    nearest = nearest_open(clocks)
    if nearest is not None:
        return (0, nearest.due.timestamp(), reference)
    return (1, -aware_or_created.timestamp(), reference)
