"""Use cases of the case around a breach: the action plan, the evidence vault, the timeline and the exchanges.

Each use case checks its input, applies the rules (cases/rules/), changes the rows, writes its audit entry and
flushes; the request or the command that called it commits once. Every change first checks that the breach is open
(breaches/closing.py); reading, downloading and exporting stay possible on a closed breach."""

from __future__ import annotations

import hashlib
import mimetypes
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import select

from notifier.accounts.models import User
from notifier.audit import services as audit
from notifier.breaches import services as breaches
from notifier.breaches.closing import ensure_open
from notifier.breaches.models import Breach
from notifier.breaches.rules.deadlines import DeadlineInputError, ParsedTime, parse_local_timestamp
from notifier.breaches.states import BreachStatus
from notifier.cases import vault
from notifier.cases.models import CaseTask, Evidence, Exchange, PlanTemplate, TimelineEvent
from notifier.cases.rules import plan as plan_rules
from notifier.cases.rules.plan import PlanInputError, PlanItem
from notifier.cases.states import Direction, ExchangeStatus, Party, TaskStatus, TimelineKind
from notifier.core.errors import Refusal
from notifier.core.i18n import N_, translate
from notifier.core.types import utcnow
from notifier.extensions import db

PARIS = ZoneInfo("Europe/Paris")
TEXT_MAX = 5000
TITLE_MAX = 300


class CaseInputError(Refusal):
    """Input refused with a message fit to show (``message(lang)``); nothing was stored. A parameter that is itself
    a msgid (the name of the field) or a refusal of a rule is shown in the same language."""

    def message(self, lang: str = "fr") -> str:
        params = {name: value.message(lang) if hasattr(value, "message") else
                  translate(value, lang) if isinstance(value, str) else value for name, value in self.params.items()}
        return translate(self.msgid, lang, **params)


def _refuse(error: PlanInputError | DeadlineInputError) -> CaseInputError:
    return CaseInputError(error.msgid, **error.params)


def parse_instant(text: str | None, *, required: bool = False, what: str = N_("date")) -> ParsedTime | None:
    """A date and time typed in the page (Europe/Paris wall clock, or with an offset) as an aware UTC instant."""
    if not (text or "").strip():
        if required:
            raise CaseInputError(N_("%(what)s manquante"), what=what)
        return None
    try:
        return parse_local_timestamp(text.replace("T", " "))
    except DeadlineInputError as error:
        raise _refuse(error) from None


def _instant(text: str | None, **kwargs) -> datetime | None:
    parsed = parse_instant(text, **kwargs)
    return parsed.instant if parsed is not None else None


def _clean(text: str | None, maximum: int, *, required: bool = False, what: str = N_("texte")) -> str:
    cleaned = (text or "").strip()
    if required and not cleaned:
        raise CaseInputError(N_("%(what)s manquant"), what=what)
    if len(cleaned) > maximum:
        raise CaseInputError(N_("%(what)s trop long (%(maximum)s caractères au plus)"), what=what, maximum=maximum)
    return cleaned


# --- the clocks a task is tied to ----------------------------------------------------------------------------------

def instants(breach: Breach, *, period_hours: int = 72, now: datetime | None = None) -> dict[str, datetime]:
    clocks = breaches.clocks(breach, period_hours=period_hours, now=now)
    return plan_rules.anchor_instants(breach.aware_at, {clock.code: clock.due for clock in clocks})


def task_due(task: CaseTask, moments: dict[str, datetime]) -> datetime | None:
    return plan_rules.due_at(absolute=task.due_at, anchor=task.anchor, offset_minutes=task.offset_minutes,
                             instants=moments)


def is_open(task: CaseTask) -> bool:
    return task.status in (TaskStatus.TODO, TaskStatus.IN_PROGRESS)


# --- the organisation's plan template ------------------------------------------------------------------------------

def plan_template(organisation_id: int) -> list[PlanItem]:
    row = db.session.scalar(select(PlanTemplate).where(PlanTemplate.organisation_id == organisation_id))
    if row is None:
        return list(plan_rules.DEFAULT_PLAN)
    return [PlanItem.from_dict(item) for item in row.items]


def is_default_template(organisation_id: int) -> bool:
    return db.session.scalar(select(PlanTemplate.id).where(PlanTemplate.organisation_id == organisation_id)) is None


def save_plan_template(user: User, rows: list[dict[str, str]], lang: str = "fr") -> list[PlanItem]:
    """An administrator's plan for the organisation's new breaches; rows with an empty title are left out. Breaches
    already open keep their plan. A default title left as shown in ``lang`` stays the catalog's msgid, so that
    each user still reads it in their own language."""
    defaults = {translate(item.title, lang): item.title for item in plan_rules.DEFAULT_PLAN}
    items = []
    for number, row in enumerate(rows, start=1):
        title = (row.get("title") or "").strip()
        title = defaults.get(title, title)
        if not title:
            continue
        try:
            offset = plan_rules.parse_offset(row.get("offset"))
            item = PlanItem(title=title, anchor=row.get("anchor") or "aware", offset_minutes=offset,
                            owner_role=row.get("owner_role") or "dpo", nis2_only=bool(row.get("nis2_only")))
            plan_rules.check_item(item.title, item.anchor, item.offset_minutes, item.owner_role)
        except PlanInputError as error:
            raise CaseInputError(N_("ligne %(number)s\u00a0: %(problem)s"), number=number,
                                 problem=error) from None
        items.append(item)
    row = db.session.scalar(select(PlanTemplate).where(PlanTemplate.organisation_id == user.organisation_id))
    if row is None:
        row = PlanTemplate(organisation_id=user.organisation_id)
        db.session.add(row)
    row.items = [item.as_dict() for item in items]
    row.updated_by_id = user.id
    row.updated_at = utcnow()
    db.session.flush()
    audit.record("case.plan_template_save", user=user, obj=row, organisation_id=user.organisation_id,
                 details={"items": len(items)})
    return items


def reset_plan_template(user: User) -> None:
    row = db.session.scalar(select(PlanTemplate).where(PlanTemplate.organisation_id == user.organisation_id))
    if row is not None:
        db.session.delete(row)
        db.session.flush()
    audit.record("case.plan_template_reset", user=user, organisation_id=user.organisation_id)


def _default_owner(breach: Breach, role: str, creator: User | None) -> User | None:
    if creator is not None and creator.role == role and creator.organisation_id == breach.organisation_id:
        return creator
    return db.session.scalar(select(User).where(User.organisation_id == breach.organisation_id, User.role == role,
                                                User.active.is_(True)).order_by(User.id).limit(1))


def start_plan(breach: Breach, user: User | None) -> list[CaseTask]:
    """A new breach's tasks, from its organisation's template (subscribed to breach_created); done once."""
    if db.session.scalar(select(CaseTask.id).where(CaseTask.breach_id == breach.id).limit(1)) is not None:
        return []
    items = plan_rules.items_for(plan_template(breach.organisation_id),
                                 nis2_in_scope=bool(breach.establishment.nis2_in_scope))
    tasks = []
    for position, item in enumerate(items, start=1):
        owner = _default_owner(breach, item.owner_role, user)
        tasks.append(CaseTask(breach_id=breach.id, position=position, title=item.title, owner_id=owner.id if owner
                              else None, anchor=item.anchor, offset_minutes=item.offset_minutes, source="template",
                              created_by_id=user.id if user else None))
    db.session.add_all(tasks)
    db.session.flush()
    if tasks:
        audit.record("case.plan_start", user=user, obj=breach, details={"tasks": len(tasks)})
    return tasks


# --- the breach's tasks ---------------------------------------------------------------------------------------------

@dataclass
class TaskLine:
    task: CaseTask
    due: datetime | None
    overdue: bool
    anchor_label: str | None = None
    """The clock the due date is tied to (a French msgid), None for an absolute date."""
    offset_text: str | None = None
    """The offset from that clock as typed ("-6 h")."""


@dataclass
class PlanView:
    lines: list[TaskLine]
    done: int
    total: int

    @property
    def upcoming(self) -> list[TaskLine]:
        """The open tasks, the most urgent first (overdue, then by due date; those without a date yet last)."""
        open_lines = [line for line in self.lines if is_open(line.task)]
        return sorted(open_lines, key=lambda line: (line.due is None, line.due or datetime.max.replace(tzinfo=UTC)))

    @property
    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0


def tasks(breach: Breach) -> list[CaseTask]:
    return list(db.session.scalars(select(CaseTask).where(CaseTask.breach_id == breach.id)
                                   .order_by(CaseTask.position, CaseTask.id)))


def plan_view(breach: Breach, *, period_hours: int = 72, now: datetime | None = None) -> PlanView:
    now = now or utcnow()
    moments = instants(breach, period_hours=period_hours, now=now)
    lines = []
    for task in tasks(breach):
        due = task_due(task, moments)
        tied = task.due_at is None and task.anchor is not None
        lines.append(TaskLine(task, due, bool(due and is_open(task) and due < now),
                              plan_rules.ANCHORS.get(task.anchor, task.anchor) if tied else None,
                              plan_rules.format_offset(task.offset_minutes) if tied else None))
    finished = sum(1 for line in lines if not is_open(line.task))
    return PlanView(lines, finished, len(lines))


def owner_ids(breach: Breach) -> set[int]:
    """The users a task of the breach may be given to: the active users of its organisation (as _owner checks)."""
    return set(db.session.scalars(select(User.id).where(User.organisation_id == breach.organisation_id,
                                                        User.active.is_(True))))


def _owner(breach: Breach, owner_id: int | None) -> User | None:
    if not owner_id:
        return None
    owner = db.session.get(User, owner_id)
    if owner is None or owner.organisation_id != breach.organisation_id or not owner.active:
        raise CaseInputError(N_("responsable inconnu"))
    return owner


def _due_fields(due_text: str | datetime | None, anchor: str | None, offset_text: str | None) -> dict:
    """An absolute date, or an anchor and an offset; an anchor wins when both are given."""
    if isinstance(due_text, datetime):
        return {"due_at": due_text, "anchor": None, "offset_minutes": 0}
    if anchor:
        if anchor not in plan_rules.ANCHORS:
            raise CaseInputError(N_("repère inconnu\u00a0: %(anchor)s"), anchor=anchor[:40])
        try:
            offset = plan_rules.parse_offset(offset_text)
        except PlanInputError as error:
            raise _refuse(error) from None
        return {"due_at": None, "anchor": anchor, "offset_minutes": offset}
    return {"due_at": _instant(due_text, what=N_("échéance")), "anchor": None, "offset_minutes": 0}


def add_task(breach: Breach, user: User | None, *, title: str, owner_id: int | None = None,
             due: str | datetime | None = None, anchor: str | None = None, offset: str | None = None, notes: str = "",
             source: str = "", check_open: bool = True) -> CaseTask:
    """A task added to the plan. ``check_open=False`` for what arrives from outside after the closing (a rights
    request made to the hotline still has to be answered)."""
    if check_open:
        ensure_open(breach)
    title = _clean(title, TITLE_MAX, required=True, what=N_("intitulé"))
    owner = _owner(breach, owner_id)
    fields = _due_fields(due, anchor, offset)
    last = db.session.scalar(select(CaseTask.position).where(CaseTask.breach_id == breach.id)
                             .order_by(CaseTask.position.desc()).limit(1)) or 0
    task = CaseTask(breach_id=breach.id, position=last + 1, title=title, owner_id=owner.id if owner else None,
                    notes=_clean(notes, TEXT_MAX, what=N_("notes")), created_by_id=user.id if user else None,
                    source=source[:60], **fields)
    db.session.add(task)
    db.session.flush()
    audit.record("case.task_add", user=user, obj=task, breach_id=breach.id,
                 details={"anchor": task.anchor, "offset_minutes": task.offset_minutes, "source": source or None})
    return task


def update_task(task: CaseTask, breach: Breach, user: User, *, status: str | None = None,
                owner_id: int | None = None, due: str | None = None, anchor: str | None = None,
                offset: str | None = None, notes: str | None = None, title: str | None = None) -> list[str]:
    """Change a task; returns the names of the fields that changed (recorded in the audit trail)."""
    ensure_open(breach)
    changed = []
    if status is not None:
        if status not in list(TaskStatus):
            raise CaseInputError(N_("statut inconnu\u00a0: %(status)s"), status=status[:20])
        if status != task.status:
            task.status = status
            task.done_at = utcnow() if status in (TaskStatus.DONE, TaskStatus.NOT_APPLICABLE) else None
            changed.append("status")
    if title is not None:
        cleaned = _clean(title, TITLE_MAX, required=True, what=N_("intitulé"))
        if cleaned != task.title:
            task.title = cleaned
            changed.append("title")
    if owner_id is not None:
        owner = _owner(breach, owner_id) if owner_id else None
        if (owner.id if owner else None) != task.owner_id:
            task.owner_id = owner.id if owner else None
            changed.append("owner")
    if due is not None or anchor is not None:
        fields = _due_fields(due, anchor, offset)
        for name, value in fields.items():
            if getattr(task, name) != value:
                setattr(task, name, value)
                changed.append(name)
    if notes is not None:
        cleaned = _clean(notes, TEXT_MAX, what=N_("notes"))
        if cleaned != task.notes:
            task.notes = cleaned
            changed.append("notes")
    if changed:
        db.session.flush()
        audit.record("case.task_update", user=user, obj=task, breach_id=breach.id,
                     details={"fields": changed, "status": task.status})
    return changed


def get_task(task_id: int, breach: Breach) -> CaseTask | None:
    task = db.session.get(CaseTask, task_id)
    return task if task is not None and task.breach_id == breach.id else None


@dataclass
class MyTask:
    task: CaseTask
    breach: Breach
    due: datetime
    overdue: bool


def my_tasks(user: User, *, period_hours: int = 72, now: datetime | None = None,
             horizon: timedelta = timedelta(hours=48)) -> list[MyTask]:
    """The user's open tasks, in the organisation's open breaches, due within ``horizon`` or overdue: the
    dashboard's "my tasks"."""
    now = now or utcnow()
    rows = db.session.execute(
        select(CaseTask, Breach).join(Breach, Breach.id == CaseTask.breach_id)
        .where(CaseTask.owner_id == user.id, Breach.organisation_id == user.organisation_id,
               Breach.status != BreachStatus.CLOSED,
               CaseTask.status.in_([TaskStatus.TODO, TaskStatus.IN_PROGRESS]))).all()
    moments: dict[int, dict[str, datetime]] = {}
    mine = []
    for task, breach in rows:
        if breach.id not in moments:
            moments[breach.id] = instants(breach, period_hours=period_hours, now=now)
        due = task_due(task, moments[breach.id])
        if due is not None and due <= now + horizon:
            mine.append(MyTask(task, breach, due, due < now))
    return sorted(mine, key=lambda line: line.due)


# --- the evidence vault ---------------------------------------------------------------------------------------------

def safe_filename(name: str | None) -> str:
    """The file's own name, without folders or control characters, at most 200 characters ("fichier" if none)."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C").strip()
    base = base.lstrip(".") or "fichier"
    if len(base) > 200:
        stem, dot, ext = base.rpartition(".")
        base = (stem[:190] + dot + ext[:9]) if dot else base[:200]
    return base


def too_large(max_bytes: int) -> CaseInputError:
    """The refusal of a file above EVIDENCE_MAX_BYTES (the upload form and add_evidence say the same)."""
    if max_bytes >= 1024 * 1024:
        return CaseInputError(N_("Fichier trop volumineux\u00a0: %(maximum)s Mo au plus. Rien n'a été "
                                 "enregistré."), maximum=round(max_bytes / (1024 * 1024), 1))
    return CaseInputError(N_("Fichier trop volumineux\u00a0: %(maximum)s Ko au plus. Rien n'a été "
                             "enregistré."), maximum=max(1, max_bytes // 1024))


def empty_file() -> CaseInputError:
    return CaseInputError(N_("Fichier vide\u00a0: rien n'a été enregistré."))


def add_evidence(breach: Breach, user: User, *, filename: str | None, stream: BinaryIO, max_bytes: int,
                 description: str = "") -> Evidence:
    """Store a file of the breach encrypted (vault.py) with the SHA-256 of the original, who and when. Refused above
    ``max_bytes`` (EVIDENCE_MAX_BYTES), read in chunks so a larger file is never held whole."""
    ensure_open(breach)
    description = _clean(description, 500, what=N_("description"))
    chunks, size, digest = [], 0, hashlib.sha256()
    while True:
        chunk = stream.read(1024 * 1024)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            raise too_large(max_bytes)
        digest.update(chunk)
        chunks.append(chunk)
    if size == 0:
        raise empty_file()
    data = b"".join(chunks)
    name = safe_filename(filename)
    storage_name, key_id = vault.store(data)
    thumb = vault.thumbnail(data)
    thumbnail_name = vault.store(thumb)[0] if thumb else None
    evidence = Evidence(organisation_id=breach.organisation_id, breach_id=breach.id, filename=name,
                        description=description, size=size, sha256=digest.hexdigest(),
                        content_type=(mimetypes.guess_type(name)[0] or "application/octet-stream")[:100],
                        storage_name=storage_name, thumbnail_name=thumbnail_name, key_id=key_id,
                        uploaded_by_id=user.id if user else None)
    db.session.add(evidence)
    db.session.flush()
    audit.record("case.evidence_upload", user=user, obj=evidence, breach_id=breach.id,
                 details={"sha256": evidence.sha256, "size": size})
    return evidence


def evidence_list(breach: Breach, *, include_deleted: bool = True) -> list[Evidence]:
    query = select(Evidence).where(Evidence.breach_id == breach.id)
    if not include_deleted:
        query = query.where(Evidence.deleted_at.is_(None))
    return list(db.session.scalars(query.order_by(Evidence.uploaded_at, Evidence.id)))


def get_evidence(evidence_id: int, organisation_id: int) -> Evidence | None:
    """A file of the given organisation, or None: never reveal whether another organisation's file exists."""
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None or evidence.organisation_id != organisation_id:
        return None
    return evidence


def read_evidence(evidence: Evidence) -> bytes:
    """The original bytes, checked against the SHA-256 recorded at upload (vault.VaultError otherwise)."""
    if evidence.storage_name is None:
        raise vault.VaultError("the file was deleted")
    data = vault.load(evidence.storage_name)
    if hashlib.sha256(data).hexdigest() != evidence.sha256:
        raise vault.VaultError("the decrypted file does not match its SHA-256")
    return data


def download_evidence(evidence: Evidence, *, user: User | None, via: str | None = None) -> bytes:
    data = read_evidence(evidence)
    audit.record("case.evidence_download", user=user, obj=evidence, breach_id=evidence.breach_id,
                 details={"sha256": evidence.sha256, **audit.via(via)})
    return data


def evidence_thumbnail(evidence: Evidence, *, user: User | None = None, now: datetime | None = None) -> bytes | None:
    """The re-encoded PNG of an image, audited as ``case.evidence_thumbnail`` once per user, piece and day (Europe/
    Paris): the case page shows every thumbnail at each visit, so an entry per view would bury the downloads under
    page loads (and every entry takes the chain's lock), while one a day still says who saw which piece when."""
    if evidence.thumbnail_name is None or evidence.deleted_at is not None:
        return None
    try:
        data = vault.load(evidence.thumbnail_name)
    except vault.VaultError:
        return None
    if user is not None and not _thumbnail_seen_today(evidence, user, now or utcnow()):
        audit.record("case.evidence_thumbnail", user=user, obj=evidence, breach_id=evidence.breach_id,
                     details={"sha256": evidence.sha256})
    return data


def _thumbnail_seen_today(evidence: Evidence, user: User, now: datetime) -> bool:
    from notifier.audit.models import AuditEntry

    local = now.astimezone(PARIS)
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)
    return db.session.scalar(select(AuditEntry.id).where(
        AuditEntry.breach_id == evidence.breach_id, AuditEntry.action == "case.evidence_thumbnail",
        AuditEntry.object_type == "evidence", AuditEntry.object_id == str(evidence.id),
        AuditEntry.user_id == user.id, AuditEntry.at >= day_start).limit(1)) is not None


def delete_evidence(evidence: Evidence, breach: Breach, user: User, reason: str) -> None:
    """Remove the file (and its thumbnail); the row stays, with who deleted it, when and why, for the chain of
    custody (the SHA-256 still says what it was)."""
    ensure_open(breach)
    reason = _clean(reason, 500, required=True, what=N_("motif"))
    if evidence.deleted_at is not None:
        return
    vault.remove(evidence.storage_name)
    vault.remove(evidence.thumbnail_name)
    evidence.storage_name = evidence.thumbnail_name = None
    evidence.deleted_at, evidence.deleted_by_id, evidence.deleted_reason = utcnow(), user.id, reason
    db.session.flush()
    audit.record("case.evidence_delete", user=user, obj=evidence, breach_id=breach.id,
                 details={"sha256": evidence.sha256})


def _evidence_of(breach: Breach, ids: list[int]) -> list[Evidence]:
    chosen = []
    for evidence_id in dict.fromkeys(ids):
        evidence = db.session.get(Evidence, evidence_id)
        if evidence is None or evidence.breach_id != breach.id:
            raise CaseInputError(N_("pièce inconnue"))
        chosen.append(evidence)
    return chosen


def rekey_vault(user: User | None = None) -> tuple[int, int]:
    """Re-encrypt every stored file with the current key (after a rotation): (files re-encrypted, files seen)."""
    done = seen = 0
    for evidence in db.session.scalars(select(Evidence).where(Evidence.deleted_at.is_(None))):
        for name in (evidence.storage_name, evidence.thumbnail_name):
            if name:
                seen += 1
                done += vault.rekey(name)
        evidence.key_id = vault.key_id(vault.current_key())
    db.session.flush()
    audit.record("case.evidence_rekey", user=user, details={"files": done, "seen": seen})
    return done, seen


# --- the timeline ----------------------------------------------------------------------------------------------------

def add_event(breach: Breach, user: User, *, occurred_at: str | None, kind: str, description: str,
              evidence_ids: list[int] | None = None) -> TimelineEvent:
    ensure_open(breach)
    if kind not in list(TimelineKind):
        raise CaseInputError(N_("type d'événement inconnu"))
    event = TimelineEvent(breach_id=breach.id, occurred_at=_instant(occurred_at, required=True),
                          kind=kind, description=_clean(description, TEXT_MAX, required=True,
                                                        what=N_("description")),
                          author_id=user.id if user else None, automatic=False,
                          evidence=_evidence_of(breach, evidence_ids or []))
    db.session.add(event)
    db.session.flush()
    audit.record("case.timeline_add", user=user, obj=event, breach_id=breach.id, details={"kind": kind})
    return event


def automatic_event(breach_id: int, *, source: str, kind: str, description: str, occurred_at: datetime,
                    user: User | None = None, params: dict | None = None) -> TimelineEvent | None:
    """An event the application adds itself (CNIL sent, report generated, letters done, patients imported), once
    per ``source``. ``description`` is a French msgid with no patient data, translated where shown."""
    existing = db.session.scalar(select(TimelineEvent).where(TimelineEvent.breach_id == breach_id,
                                                             TimelineEvent.source == source))
    if existing is not None:
        if existing.occurred_at != occurred_at:
            existing.occurred_at = occurred_at  # the CNIL sending time corrected in the wizard
            db.session.flush()
        return None
    event = TimelineEvent(breach_id=breach_id, occurred_at=occurred_at, kind=kind, description=description,
                          author_id=user.id if user else None, automatic=True, source=source[:60],
                          params=params or None)
    db.session.add(event)
    db.session.flush()
    return event


def timeline(breach: Breach) -> list[TimelineEvent]:
    return list(db.session.scalars(select(TimelineEvent).where(TimelineEvent.breach_id == breach.id)
                                   .order_by(TimelineEvent.occurred_at, TimelineEvent.id)))


def timeline_text(breach: Breach, lang: str = "fr") -> str:
    """The timeline's facts as lines to paste into the wizard's "circonstances" (date, then the fact)."""
    from notifier.core.formatting import format_datetime

    return "\n".join(f"{format_datetime(event.occurred_at, lang)}\u00a0: {event_text(event, lang)}"
                     for event in timeline(breach))


def event_text(event: TimelineEvent, lang: str) -> str:
    """What an event says: an automatic one's msgid translated with its values (a text value is itself a msgid, the
    name of a document); a typed one as it was typed."""
    if event.automatic:
        params = {name: translate(value, lang) if isinstance(value, str) else value
                  for name, value in (event.params or {}).items()}
        return translate(event.description, lang, **params)
    return event.description


# --- the exchanges -------------------------------------------------------------------------------------------------

def add_exchange(breach: Breach, user: User, *, direction: str, party: str, occurred_at: str | None, subject: str,
                 reference: str = "", notes: str = "", reply_by: str | None = None,
                 evidence_ids: list[int] | None = None) -> Exchange:
    """Log a piece of correspondence; a reply-by date makes it a clock of its own (awaiting_reply)."""
    ensure_open(breach)
    if direction not in list(Direction):
        raise CaseInputError(N_("sens inconnu"))
    if party not in list(Party):
        raise CaseInputError(N_("correspondant inconnu"))
    when = _instant(occurred_at, required=True)
    deadline = _instant(reply_by, what=N_("date de réponse attendue"))
    if deadline is not None and deadline <= when:
        raise CaseInputError(N_("la date de réponse attendue doit suivre la date de l'échange"))
    exchange = Exchange(breach_id=breach.id, direction=direction, party=party, occurred_at=when,
                        subject=_clean(subject, TITLE_MAX, required=True, what=N_("objet")),
                        reference=_clean(reference, 100, what=N_("référence")),
                        notes=_clean(notes, TEXT_MAX, what=N_("notes")), reply_by=deadline,
                        status=ExchangeStatus.AWAITING_REPLY if deadline else ExchangeStatus.NO_REPLY,
                        created_by_id=user.id if user else None, evidence=_evidence_of(breach, evidence_ids or []))
    db.session.add(exchange)
    db.session.flush()
    automatic_event(breach.id, source=f"exchange:{exchange.id}", kind=TimelineKind.EXCHANGE,
                    description=(N_("Courrier reçu (%(party)s)") if direction == Direction.INCOMING
                                 else N_("Courrier envoyé (%(party)s)")),
                    params={"party": PARTY_LABELS[party]}, occurred_at=when, user=user)
    audit.record("case.exchange_add", user=user, obj=exchange, breach_id=breach.id,
                 details={"direction": direction, "party": party, "reply_by": deadline})
    return exchange


def answer_exchange(exchange: Exchange, breach: Breach, user: User, *, answered_at: str | None = None) -> None:
    ensure_open(breach)
    if exchange.status != ExchangeStatus.AWAITING_REPLY:
        raise CaseInputError(N_("cet échange n'attend pas de réponse"))
    exchange.answered_at = _instant(answered_at) or utcnow()
    exchange.status = ExchangeStatus.ANSWERED
    db.session.flush()
    audit.record("case.exchange_answered", user=user, obj=exchange, breach_id=breach.id)


def exchanges(breach: Breach) -> list[Exchange]:
    return list(db.session.scalars(select(Exchange).where(Exchange.breach_id == breach.id)
                                   .order_by(Exchange.occurred_at, Exchange.id)))


def get_exchange(exchange_id: int, breach: Breach) -> Exchange | None:
    exchange = db.session.get(Exchange, exchange_id)
    return exchange if exchange is not None and exchange.breach_id == breach.id else None


def closing_warnings(breach: Breach, lang: str) -> list[str]:
    """What the closing page asks the DPO to confirm: exchanges still awaiting a reply, tasks still open."""
    warnings = []
    waiting = [e for e in exchanges(breach) if e.status == ExchangeStatus.AWAITING_REPLY]
    if waiting:
        warnings.append(translate(N_("%(count)s échange(s) attend(ent) encore une réponse (par exemple\u00a0: "
                                     "%(subject)s)."), lang, count=len(waiting), subject=waiting[0].subject))
    still = [t for t in tasks(breach) if is_open(t)]
    if still:
        warnings.append(translate(N_("%(count)s tâche(s) du plan d'action ne sont ni faites ni sans objet."), lang,
                                  count=len(still)))
    return warnings


PARTY_LABELS = {
    Party.CNIL: N_("CNIL"), Party.ARS_CERT_SANTE: N_("ARS / CERT Santé"), Party.ANSSI: N_("ANSSI"),
    Party.POLICE: N_("Police ou gendarmerie"), Party.INSURER: N_("Assureur"), Party.PROCESSOR: N_("Sous-traitant"),
    Party.OTHER: N_("Autre"),
}
TASK_STATUS_LABELS = {
    TaskStatus.TODO: N_("à faire"), TaskStatus.IN_PROGRESS: N_("en cours"), TaskStatus.DONE: N_("fait"),
    TaskStatus.NOT_APPLICABLE: N_("sans objet"),
}
KIND_LABELS = {
    TimelineKind.DETECTION: N_("Détection"), TimelineKind.CONTAINMENT: N_("Confinement"),
    TimelineKind.PUBLICATION: N_("Découverte d'une publication ou d'une mise en vente"),
    TimelineKind.NOTIFICATION: N_("Notification"), TimelineKind.REPORT: N_("Rapport"),
    TimelineKind.LETTERS: N_("Courriers aux patients"), TimelineKind.IMPORT: N_("Import de patients"),
    TimelineKind.EXCHANGE: N_("Échange"), TimelineKind.EVIDENCE: N_("Pièce"), TimelineKind.OTHER: N_("Autre"),
}
EXCHANGE_STATUS_LABELS = {
    ExchangeStatus.AWAITING_REPLY: N_("réponse attendue"), ExchangeStatus.ANSWERED: N_("répondu"),
    ExchangeStatus.NO_REPLY: N_("pas de réponse attendue"),
}
DIRECTION_LABELS = {Direction.INCOMING: N_("reçu"), Direction.OUTGOING: N_("envoyé")}
