"""`notifier reminders send`: the reminder e-mails due now, each sent once, through the one SMTP sender
(notifier/core/mail.py).

- a task's owner: a day before the task is due, then when it is due (cases/rules/reminders.task_stage);
- legal: "a letter template waits for your approval" (the four-eyes approval, GDPR art. 34), once per version;
- the organisation's DPOs: the approach of every clock of an open breach (24 h, 6 h, 1 h before, then passed), the
  reply-by date of an exchange included (named by its party and reference, never by its typed subject).

Idempotent: each reminder's key (what, which due date, whom) is inserted in ``reminder_sent`` (unique) inside a
savepoint before the message is handed to the relay, and committed once it was accepted; a refused message rolls its
row back, so the next run tries again, and a second run (even overlapping: the unique key) sends nothing twice.
E-mails say what and when and link to the page, in the recipient's language (the one they chose with the language
switch, French until they do); never a patient's data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from notifier.accounts.models import User
from notifier.audit import services as audit
from notifier.breaches import services as breaches
from notifier.breaches.models import Breach
from notifier.breaches.states import BreachStatus
from notifier.cases import services as cases
from notifier.cases.models import Exchange, ReminderSent
from notifier.cases.rules import plan as plan_rules
from notifier.cases.rules import reminders as rules
from notifier.cases.states import ExchangeStatus
from notifier.core import mail
from notifier.core.formatting import format_datetime
from notifier.core.i18n import LANGUAGES, N_, translate
from notifier.core.types import utcnow
from notifier.extensions import db


@dataclass
class Reminder:
    key: str
    kind: str
    recipient: User
    breach: Breach
    subject: tuple[str, dict]
    body: tuple[str, dict]
    path: str


@dataclass
class RunReport:
    sent: int = 0
    already: int = 0
    failed: list[str] = field(default_factory=list)


SUBJECTS = {
    "task_before": N_("[notifier] %(reference)s\u00a0: tâche à faire avant le %(due)s"),
    "task_due": N_("[notifier] %(reference)s\u00a0: tâche arrivée à échéance le %(due)s"),
    "clock": N_("[notifier] %(reference)s\u00a0: %(clock)s, échéance le %(due)s"),
    "clock_passed": N_("[notifier] %(reference)s\u00a0: %(clock)s, échéance dépassée (%(due)s)"),
    "approval": N_("[notifier] %(reference)s\u00a0: un modèle de courrier attend votre approbation"),
}
BODIES = {
    "task": N_("Tâche\u00a0: %(title)s\nÉchéance\u00a0: %(due)s\nViolation\u00a0: %(reference)s"),
    "clock": N_("Délai\u00a0: %(clock)s\nÉchéance\u00a0: %(due)s (dans %(hours)s h au plus)\nViolation\u00a0: "
                "%(reference)s"),
    "clock_passed": N_("Délai\u00a0: %(clock)s\nÉchéance dépassée\u00a0: %(due)s\nViolation\u00a0: %(reference)s"),
    "approval": N_("Le modèle de courrier «\u00a0%(variant)s\u00a0» (version %(version)s) attend l'approbation d'un "
                   "juriste (quatre yeux, RGPD art. 34).\nViolation\u00a0: %(reference)s"),
}
FOOTER = N_("Ce message ne contient aucune donnée de patient. Ouvrir la page\u00a0: %(link)s")
#: The exchange named by its party and reference, never by its subject: a subject is typed by a person ("Plainte de
#: Mme ...") and the relay and its queue are outside the application's control (no patient data in an e-mail).
EXCHANGE_CLOCK = N_("réponse attendue à un échange avec\u00a0: %(party)s%(reference)s")


def _text(message: tuple[str, dict], lang: str) -> str:
    msgid, params = message
    return translate(msgid, lang, **{name: value(lang) if callable(value) else value
                                     for name, value in params.items()})


def _when(instant: datetime):
    return lambda lang: format_datetime(instant, lang)


def _label(msgid: str, **params):
    return lambda lang: translate(msgid, lang, **{k: v(lang) if callable(v) else v for k, v in params.items()})


def _users(organisation_id: int, role: str) -> list[User]:
    return list(db.session.scalars(select(User).where(User.organisation_id == organisation_id, User.role == role,
                                                      User.active.is_(True)).order_by(User.id)))


def due_reminders(now: datetime, *, period_hours: int = 72) -> list[Reminder]:
    """Every reminder due at ``now`` for the open breaches of every organisation (sent or not)."""
    from notifier.letters import services as letters

    found: list[Reminder] = []
    for breach in db.session.scalars(select(Breach).where(Breach.status != BreachStatus.CLOSED).order_by(Breach.id)):
        ref = breach.reference
        case_path = f"/breaches/{breach.id}/case"
        moments = cases.instants(breach, period_hours=period_hours, now=now)
        for task in cases.tasks(breach):
            if not cases.is_open(task) or task.owner is None or not task.owner.active:
                continue
            due = cases.task_due(task, moments)
            stage = rules.task_stage(due, now)
            if stage:
                found.append(Reminder(
                    rules.key("task", task.id, stage, due, "user", task.owner.id), f"task_{stage}", task.owner,
                    breach, (SUBJECTS[f"task_{stage}"], {"reference": ref, "due": _when(due)}),
                    (BODIES["task"], {"title": lambda lang, t=task.title: plan_rules.task_title(t, lang),
                                      "due": _when(due), "reference": ref}),
                    f"{case_path}#task-{task.id}"))
        dpos = _users(breach.organisation_id, "dpo")
        clocks = [(clock.code, _label(clock.label), clock.due)
                  for clock in breaches.clocks(breach, period_hours=period_hours, now=now)
                  if clock.done_at is None and not clock.immediate]
        for exchange in db.session.scalars(select(Exchange).where(
                Exchange.breach_id == breach.id, Exchange.status == ExchangeStatus.AWAITING_REPLY)):
            label = _label(EXCHANGE_CLOCK, party=_label(cases.PARTY_LABELS[exchange.party]),
                           reference=f" ({exchange.reference})" if exchange.reference else "")
            clocks.append((f"exchange{exchange.id}", label, exchange.reply_by))
        for code, label, due in clocks:
            stage = rules.clock_stage(due, now)
            if stage is None:
                continue
            kind = "clock" if stage else "clock_passed"
            for dpo in dpos:
                found.append(Reminder(
                    rules.key("clock", breach.id, code, stage, due, "user", dpo.id), kind, dpo, breach,
                    (SUBJECTS[kind], {"reference": ref, "clock": label, "due": _when(due)}),
                    (BODIES[kind], {"clock": label, "due": _when(due), "hours": stage, "reference": ref}),
                    f"/breaches/{breach.id}" if code[:8] != "exchange" else f"{case_path}#exchanges"))
        waiting = [t for t in letters.current_templates(breach.id) if not t.approved and not t.retired]
        if waiting:
            for legal in _users(breach.organisation_id, "legal"):
                for template in waiting:
                    if template.created_by_id == legal.id:
                        continue  # four eyes: its author cannot approve it
                    found.append(Reminder(
                        rules.key("approval", template.id, "user", legal.id), "approval", legal, breach,
                        (SUBJECTS["approval"], {"reference": ref}),
                        (BODIES["approval"], {"variant": template.variant, "version": template.version,
                                              "reference": ref}),
                        f"/breaches/{breach.id}/letters"))
    return found


def recipient_language(user: User) -> str:
    """The language the recipient chose with the language switch (accounts: User.language); French when unknown."""
    return user.language if user.language in LANGUAGES else "fr"


def message_text(reminder: Reminder, config: Mapping) -> tuple[str, str]:
    """Subject and body in the recipient's language (recipient_language)."""
    link = (str(config.get("PUBLIC_URL") or "").rstrip("/") or "") + reminder.path
    lang = recipient_language(reminder.recipient)
    return _text(reminder.subject, lang), _text(reminder.body, lang) + "\n\n" + translate(FOOTER, lang, link=link)


def send_due(config: Mapping, *, now: datetime | None = None, period_hours: int = 72) -> RunReport:
    """Send what is due and not yet sent; commits after each accepted message (a crash never resends those)."""
    now = now or utcnow()
    report = RunReport()
    for reminder in due_reminders(now, period_hours=period_hours):
        if db.session.scalar(select(ReminderSent.id).where(ReminderSent.key == reminder.key)) is not None:
            report.already += 1
            continue
        subject, body = message_text(reminder, config)
        savepoint = db.session.begin_nested()
        try:
            row = ReminderSent(key=reminder.key, organisation_id=reminder.breach.organisation_id,
                               breach_id=reminder.breach.id, recipient_id=reminder.recipient.id, kind=reminder.kind)
            db.session.add(row)
            db.session.flush()
        except IntegrityError:  # another run is sending it
            savepoint.rollback()
            report.already += 1
            continue
        try:
            row.queue_id = mail.send_mail(config, reminder.recipient.email, subject, body)
        except mail.MailError as error:
            savepoint.rollback()
            report.failed.append(f"{reminder.recipient.email}: {error}")
            continue
        savepoint.commit()
        db.session.commit()
        report.sent += 1
    if report.sent or report.failed:
        audit.record("case.reminders_sent", details={"sent": report.sent, "failed": len(report.failed)})
        db.session.flush()
    return report
