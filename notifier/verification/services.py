"""Is this letter genuine? The one lookup of the public page, and its daily counts.

The answer says only: genuine or not, the establishment, the date the letter was sent, the hotline's number and
hours and the public notice's address from the breach's approved call script. Never the person's name, address
or data categories (GDPR art. 5(1)(c), data minimisation: the page is public and anyone may type a reference).

Every lookup does the same work whatever the outcome: the reference is split into its breach prefix, number and
check character (ISO/IEC 7064 MOD 37,36, letters.services.check_character), then one statement reads the breaches
of that prefix with their letter of that number (a left join: the same rows whether the letter exists or not) and
their approved call script. A mistyped reference runs the same statement; only the answer differs. So the time
taken does not tell whether a well-formed reference exists."""

from __future__ import annotations

import re
import threading
import time
import weakref
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.orm import aliased

from notifier.accounts.organisations import Establishment
from notifier.breaches.models import Breach
from notifier.extensions import db
from notifier.hotline.models import CallScript
from notifier.letters.models import Letter, LetterEvent
from notifier.letters.services import letter_reference
from notifier.letters.states import LetterStatus
from notifier.verification.models import VerificationCount
from notifier.verification.states import Outcome

PARIS = ZoneInfo("Europe/Paris")
MAX_REFERENCE_LENGTH = 80  # a breach reference (50) + "-" + 7 digits + "-" + check, with some room for spaces
_REFERENCE = re.compile(r"(.{1,50})-(\d{7})-([0-9A-Z])")
_SENT = (LetterStatus.POSTED, LetterStatus.RESENT)


@dataclass(frozen=True)
class Match:
    """One genuine letter, as much as the public may know of it."""

    establishment: str
    sent_on: date | None  # the day it was posted (first posting), None when not yet posted
    generated_on: date | None
    phone: str = ""
    hours: str = ""
    notice_url: str = ""


@dataclass
class Verification:
    outcome: Outcome
    matches: list[Match] = field(default_factory=list)
    breach_ids: list[int] = field(default_factory=list)  # what the count is attributed to; never shown


def split_reference(text: str | None) -> tuple[str, int, bool] | None:
    """(breach prefix, letter number, check character right) of a typed or scanned reference, or None when it is not
    shaped like one. Spaces are dropped and case ignored (a reference read aloud or copied from paper)."""
    text = "".join((text or "").split()).upper()
    if not text or len(text) > MAX_REFERENCE_LENGTH:
        return None
    match = _REFERENCE.fullmatch(text)
    if not match:
        return None
    prefix, number = match.group(1), int(match.group(2))
    return prefix, number, letter_reference(prefix, number) == text


def _lookup_statement():
    """One statement for every lookup: the breaches of the prefix, each with its letter of that number (left join:
    the same rows whether the letter exists or not), the day it was first posted, and the latest approved call
    script (number, hours, public notice). Built once; its compiled form is cached by SQLAlchemy."""
    sent = (select(func.min(LetterEvent.status_date)).where(LetterEvent.letter_id == Letter.id,
                                                           LetterEvent.status.in_(_SENT))
            .correlate(Letter).scalar_subquery())
    newer = aliased(CallScript)
    newer_approved = (select(newer.id).where(newer.breach_id == CallScript.breach_id, newer.approved_at.is_not(None),
                                             newer.version > CallScript.version)
                      .correlate(CallScript).exists())
    return (
        select(Breach.id, Establishment.name, Letter.id, Letter.generated_at, sent, CallScript.phone,
               CallScript.hours, CallScript.notice_url)
        .select_from(Breach)
        .join(Establishment, Establishment.id == Breach.establishment_id)
        .outerjoin(Letter, and_(Letter.breach_id == Breach.id, Letter.number == bindparam("number"),
                                Letter.status.is_not(None)))
        .outerjoin(CallScript, and_(CallScript.breach_id == Breach.id, CallScript.approved_at.is_not(None),
                                    ~newer_approved))
        .where(func.upper(Breach.reference) == bindparam("prefix"))
        .order_by(Breach.id))


_LOOKUP = _lookup_statement()


def verify(text: str | None) -> Verification:
    """The public page's answer to one reference. Reads only; `count` records it."""
    parts = split_reference(text)
    prefix, number, well_formed = parts if parts else ("", -1, False)
    with _reader().connect() as connection:
        rows = connection.execute(_LOOKUP, {"prefix": prefix, "number": number}).all()
    breach_ids = [row[0] for row in rows]
    if not well_formed:
        return Verification(Outcome.MISTYPED, breach_ids=breach_ids)
    found = [row for row in rows if row[2] is not None]
    if not found:
        return Verification(Outcome.UNKNOWN, breach_ids=breach_ids)
    matches = [Match(establishment=establishment, sent_on=sent_on, generated_on=_paris_day(generated_at),
                     phone=phone or "", hours=hours or "", notice_url=notice_url or "")
               for _breach, establishment, _letter, generated_at, sent_on, phone, hours, notice_url in found]
    return Verification(Outcome.GENUINE, matches=matches, breach_ids=[row[0] for row in found])


def _reader():
    """The engine on which the lookup runs, in autocommit: one read needs no transaction, so the statement goes to
    the server alone (no BEGIN before it, no ROLLBACK after it: a third of the round trips of a session's read).
    It shares the app's connection pool."""
    engine = db.engine
    reader = _readers.get(engine)
    if reader is None:
        reader = _readers[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return reader


_readers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _paris_day(instant: datetime | None) -> date | None:
    if instant is None:
        return None
    if instant.tzinfo is None:  # read through the connection, without the column type: stored as UTC
        instant = instant.replace(tzinfo=ZoneInfo("UTC"))
    return instant.astimezone(PARIS).date()


# Counts wait in the process at most this long before they are written, all in one statement per key: after a news
# article every request would otherwise write (and wait for) the same counter row. A worker that dies loses at most
# this interval's counts; VERIFY_COUNT_FLUSH_SECONDS = 0 writes each verification with its request.
_pending: Counter[tuple[str, int | None, date, str]] = Counter()
_pending_lock = threading.Lock()
_last_write: dict[str, float] = {}


def count(verification: Verification, *, database: str = "", flush_seconds: float = 0.0,
          today: date | None = None) -> bool:
    """One more verification of this outcome today (Paris), for each breach it names (or for no breach). Nothing
    about the caller is kept. Counts of the `database` wait in the process until `flush_seconds` passed since its
    last write; then every waiting count is written (flushed, the request commits). True when something was
    written."""
    day = today or datetime.now(PARIS).date()
    now = time.monotonic()
    with _pending_lock:
        for breach_id in verification.breach_ids or [None]:
            _pending[(database, breach_id, day, verification.outcome.value)] += 1
        last = _last_write.get(database)
        if last is not None and now - last < flush_seconds:
            return False
        _last_write[database] = now
        # In one order for every process, so that two workers writing the same counters never deadlock.
        waiting = sorted(((key, n) for key, n in _pending.items() if key[0] == database),
                         key=lambda item: (item[0][1] or 0, item[0][2], item[0][3]))
        for key, _n in waiting:
            del _pending[key]
    for (_database, breach_id, key_day, outcome), n in waiting:
        _add(breach_id, key_day, outcome, n)
    return True


def _add(breach_id: int | None, day: date, outcome: str, n: int) -> None:
    """Adds `n` to one row of the key, the oldest: two workers' first writes of a day may both have inserted one
    (readers sum them), and adding to every row of the key would count each verification once per row."""
    key = VerificationCount.breach_id.is_(None) if breach_id is None else VerificationCount.breach_id == breach_id
    oldest = (select(func.min(VerificationCount.id))
              .where(key, VerificationCount.day == day, VerificationCount.outcome == outcome).scalar_subquery())
    done = db.session.execute(update(VerificationCount).where(VerificationCount.id == oldest)
                              .values(count=VerificationCount.count + n)
                              .execution_options(synchronize_session=False))
    if not done.rowcount:
        db.session.execute(insert(VerificationCount).values(breach_id=breach_id, day=day, outcome=outcome, count=n))


@dataclass
class DailyCounts:
    days: list[tuple[date, dict[str, int]]]  # newest first
    totals: dict[str, int]


def daily_counts(breach_id: int, *, days: int = 30) -> DailyCounts:
    """Verifications of a breach's references per day and outcome, the last `days` days that had any."""
    rows = db.session.execute(
        select(VerificationCount.day, VerificationCount.outcome, func.sum(VerificationCount.count))
        .where(VerificationCount.breach_id == breach_id)
        .group_by(VerificationCount.day, VerificationCount.outcome)
        .order_by(VerificationCount.day.desc())).all()
    by_day: dict[date, dict[str, int]] = {}
    totals = dict.fromkeys((outcome.value for outcome in Outcome), 0)
    for day, outcome, n in rows:
        by_day.setdefault(day, dict.fromkeys((o.value for o in Outcome), 0))[outcome] = int(n)
        totals[outcome] += int(n)
    return DailyCounts(days=list(by_day.items())[:days], totals=totals)
