"""What the case does when other features act (notifier/core/events.py), connected once by
notifier/__init__.py::_register_features: a new breach gets its action plan; the CNIL sending, the reports, the
letter jobs and the patient imports become automatic timeline entries; a hotline request to exercise one's rights
becomes a task for the DPO; closing a breach lists the exchanges and tasks still open."""

from __future__ import annotations

from datetime import timedelta

from flask import has_request_context

from notifier.core import events
from notifier.core.i18n import N_, cli_language, translate
from notifier.core.types import utcnow

#: GDPR art. 12(3): the controller answers a request "within one month of receipt".
RIGHTS_REQUEST_DAYS = 30


def _lang() -> str:
    if has_request_context():
        from notifier.core.web import user_lang

        return user_lang()
    return cli_language()


def on_breach_created(breach, user=None, **_kwargs) -> None:
    from notifier.cases import services

    services.start_plan(breach, user)


def on_step_saved(breach, user=None, step_code=None, changed=(), **_kwargs) -> None:
    from notifier.cases import services
    from notifier.cases.states import TimelineKind

    if "aware_at" in changed and breach.aware_at is not None:
        services.automatic_event(breach.id, source="aware", kind=TimelineKind.DETECTION, user=user,
                                 description=N_("Prise de connaissance de la violation (départ du délai de 72 h)"),
                                 occurred_at=breach.aware_at)
    if "cnil_sent_at" in changed and breach.cnil_sent_at is not None:
        services.automatic_event(breach.id, source="cnil_sent", kind=TimelineKind.NOTIFICATION, user=user,
                                 description=N_("Notification envoyée à la CNIL"), occurred_at=breach.cnil_sent_at)


def on_report_generated(version, user=None, **_kwargs) -> None:
    from notifier.cases import services
    from notifier.cases.states import TimelineKind
    from notifier.reports.services import DOCUMENTS

    # The document's name (a msgid, translated where shown), not its code: the line goes into the CNIL report's
    # annex and into "circonstances".
    document = DOCUMENTS[version.document].label if version.document in DOCUMENTS else version.document
    services.automatic_event(version.breach_id, source=f"report:{version.id}", kind=TimelineKind.REPORT, user=user,
                             description=N_("Document «\u00a0%(document)s\u00a0» généré (version %(number)s)"),
                             params={"document": document, "number": version.number},
                             occurred_at=version.generated_at or utcnow())


def on_letter_job_finished(job, **_kwargs) -> None:
    from notifier.cases import services
    from notifier.cases.states import TimelineKind

    services.automatic_event(job.breach_id, source=f"letter_job:{job.id}", kind=TimelineKind.LETTERS,
                             description=N_("Courriers aux patients générés (%(total)s courriers)"),
                             params={"total": job.total}, occurred_at=job.finished_at or utcnow())


def on_patients_imported(patient_import, user=None, **_kwargs) -> None:
    from notifier.cases import services
    from notifier.cases.states import TimelineKind

    services.automatic_event(patient_import.breach_id, source=f"patient_import:{patient_import.id}",
                             kind=TimelineKind.IMPORT, user=user,
                             description=N_("Liste des patients importée (%(accepted)s lignes retenues)"),
                             params={"accepted": patient_import.accepted},
                             occurred_at=patient_import.finished_at or utcnow())


def on_hotline_call(call, breach=None, reason=None, user=None, **_kwargs) -> None:
    """A request to exercise one's rights (access, erasure...) made to the hotline: a task for the DPO, due within
    the month of GDPR art. 12(3). The task names no patient: the call's record does."""
    from notifier.cases import services
    from notifier.cases.rules.plan import RIGHTS_REQUEST_TITLE

    if reason != "rights" or breach is None:
        return
    owner = services._default_owner(breach, "dpo", user)
    source = f"hotline:{getattr(call, 'id', '')}"
    if any(task.source == source for task in services.tasks(breach)):
        return
    due = (getattr(call, "at", None) or getattr(call, "created_at", None) or utcnow()) + timedelta(
        days=RIGHTS_REQUEST_DAYS)
    services.add_task(breach, user, title=RIGHTS_REQUEST_TITLE,
                      owner_id=owner.id if owner else None, due=due, source=source, check_open=False)


def on_breach_closing(breach, **_kwargs) -> list[str]:
    from notifier.cases import services

    return services.closing_warnings(breach, _lang())


def connect() -> None:
    """Called once per process by create_app (blinker keeps one connection per receiver)."""
    events.breach_created.connect(on_breach_created)
    events.breach_step_saved.connect(on_step_saved)
    events.report_generated.connect(on_report_generated)
    events.letter_job_finished.connect(on_letter_job_finished)
    events.patients_imported.connect(on_patients_imported)
    events.hotline_call_logged.connect(on_hotline_call)
    events.breach_closing.connect(on_breach_closing)
    events.report_annexes.connect(timeline_annex)


def timeline_annex(breach, *, lang, **_):
    """The CNIL report's annex: the case's timeline, one dated fact a line (issue 16, point 3)."""
    from notifier.cases import services
    from notifier.core.formatting import format_datetime

    items = [f"{format_datetime(event.occurred_at, lang)}\u00a0: {services.event_text(event, lang)}"
             for event in services.timeline(breach)]
    return {"title": translate(N_("Annexe\u00a0: chronologie de l'incident"), lang), "items": items} if items else None
