"""The clocks that start when the establishment becomes aware of a breach: CNIL, ARS / CERT Santé, NIS2.

All arithmetic is done on UTC instants, so that "72 hours" means 72 hours of elapsed time even when the clocks of
Europe/Paris change in between; local time only enters when reading what the user typed and when displaying.
See docs/deadlines.md for the rules and their sources."""

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from notifier.core.i18n import N_, SOURCE_LANGUAGE, translate

DEFAULT_TIMEZONE = "Europe/Paris"

CNIL_PERIOD_HOURS = 72
"""GDPR art. 33(1): "not later than 72 hours after having become aware of it". The proposed "digital omnibus"
COM(2025) 837 would make it 96 hours; it is not law, hence a parameter everywhere."""

NIS2_EARLY_WARNING_HOURS = 24
"""Directive (EU) 2022/2555 art. 23(4)(a): early warning "within 24 hours of becoming aware"."""

NIS2_NOTIFICATION_HOURS = 72
"""Directive (EU) 2022/2555 art. 23(4)(b): incident notification "within 72 hours of becoming aware"."""


class ClockStatus(StrEnum):
    """Where a clock stands at a given instant (computed, never stored): pending until its deadline, then overdue;
    once the duty is done (the report sent), done_on_time or done_late for good. A "sans délai" duty is overdue until
    done and then always done_on_time: it has no hour count to be late against."""

    PENDING = "pending"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"


class DeadlineInputError(ValueError):
    """A time the user gave that cannot be turned into one instant; the message is one line, fit to show:
    ``message(lang)``, French in ``str()``. (A wrong call from code, such as a naive datetime, says so in English.)"""

    def __init__(self, message: str, **params: object):
        super().__init__(translate(message, SOURCE_LANGUAGE, **params))
        self.msgid = message
        self.params = params

    def message(self, lang: str) -> str:
        return translate(self.msgid, lang, **self.params)


@dataclass(frozen=True)
class Note:
    """A remark on how a typed time was read: a French msgid and its parameters, ``text(lang)`` to show it."""

    msgid: str
    params: tuple[tuple[str, str], ...] = ()

    def text(self, lang: str) -> str:
        return translate(self.msgid, lang, **dict(self.params))

    def __str__(self) -> str:
        return self.text(SOURCE_LANGUAGE)


@dataclass(frozen=True)
class ParsedTime:
    instant: datetime
    """UTC-aware."""
    ambiguous: bool = False
    """The local time occurs twice (autumn fold); the earlier instant was taken."""
    note: Note | None = None


@dataclass(frozen=True)
class Clock:
    code: str
    label: str
    """French msgid of the catalog: ``translate(clock.label, lang)``."""
    due: datetime
    """UTC-aware. For an immediate clock, the awareness time itself."""
    done_at: datetime | None
    status: str
    """A ClockStatus."""
    remaining: timedelta | None
    """Time left while pending, else None."""
    lateness: timedelta | None
    """How late: now - due while overdue, done_at - due when done late, else None."""
    immediate: bool
    """True for "sans délai" duties: no hour count, the UI shows a reminder instead of a countdown."""
    source: str
    """The text that sets the deadline, a French msgid like ``label``."""


# --- instants and zones -------------------------------------------------------------------------------------------

def zone(tz: str | ZoneInfo) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise DeadlineInputError(N_("fuseau horaire inconnu\u00a0: %(zone)s"), zone=str(tz)) from None


def _utc(instant: datetime, what: str = "instant") -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise DeadlineInputError(f"{what} must be a timezone-aware datetime, got naive {instant.isoformat()}")
    return instant.astimezone(UTC)


def _hours(period_hours: float) -> timedelta:
    if period_hours <= 0:
        raise DeadlineInputError(f"the period must be a positive number of hours, got {period_hours}")
    return timedelta(hours=period_hours)


def _wall(naive: datetime) -> str:
    return naive.strftime("%Y-%m-%d %H:%M:%S" if naive.second or naive.microsecond else "%Y-%m-%d %H:%M")


def _transition(naive: datetime, tzinfo: ZoneInfo) -> tuple[str, str]:
    """The wall-clock reading just before and just after the offset change around ``naive`` (e.g. 02:00 -> 03:00).

    zoneinfo reads a gap or fold time with the offset in force before the change when fold=0 and after it when
    fold=1; the change itself lies between the two UTC readings, found to the second by bisection."""
    before = naive.replace(tzinfo=tzinfo, fold=0).utcoffset()
    after = naive.replace(tzinfo=tzinfo, fold=1).utcoffset()
    low, high = sorted(((naive - before).replace(tzinfo=UTC), (naive - after).replace(tzinfo=UTC)))
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(tzinfo).utcoffset() == after:
            high = middle
        else:
            low = middle
    change = high.replace(microsecond=0)
    return ((change + before).strftime("%H:%M"), (change + after).strftime("%H:%M"))


def local_to_utc(naive: datetime, tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> ParsedTime:
    """A wall-clock time in ``tz`` as a UTC instant.

    A time inside the spring-forward gap never happened: refused, the user must say what they mean. A time in the
    autumn fold happened twice: the earlier instant is taken, because for an awareness time the earlier reading
    gives the earlier (safer) deadline; ``note`` says so. An aware datetime is simply converted."""
    if naive.tzinfo is not None:
        return ParsedTime(_utc(naive))
    tzinfo = zone(tz)
    first = naive.replace(tzinfo=tzinfo, fold=0)
    if first.astimezone(UTC).astimezone(tzinfo).replace(tzinfo=None) != naive:
        before, after = _transition(naive, tzinfo)
        raise DeadlineInputError(
            N_("%(time)s n'existe pas en %(zone)s (les horloges passent de %(before)s à %(after)s)"),
            time=_wall(naive), zone=tzinfo.key, before=before, after=after)
    second = naive.replace(tzinfo=tzinfo, fold=1)
    if first.utcoffset() == second.utcoffset():
        return ParsedTime(first.astimezone(UTC))
    before, after = _transition(naive, tzinfo)
    earlier = min(first, second, key=lambda d: d.astimezone(UTC))
    note = Note(N_("%(time)s existe deux fois en %(zone)s (les horloges reculent de %(before)s à %(after)s)\u00a0; "
                   "la plus ancienne a été retenue\u00a0: %(taken)s"),
                (("time", _wall(naive)), ("zone", tzinfo.key), ("before", before), ("after", after),
                 ("taken", earlier.isoformat(timespec="minutes"))))
    return ParsedTime(earlier.astimezone(UTC), ambiguous=True, note=note)


_DAY_FIRST = re.compile(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}(:\d{2})?")


def parse_local_timestamp(text: str, tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> ParsedTime:
    """Read a time typed by a person: ISO 8601 with or without offset or Z, ``YYYY-MM-DD HH:MM[:SS]``, or
    ``DD/MM/YYYY HH:MM[:SS]``. Without an offset it is a wall-clock time in ``tz`` (see ``local_to_utc``).
    A date alone is refused: an awareness time needs its hour."""
    cleaned = " ".join(text.split())
    tzinfo = zone(tz)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4}", cleaned):
        raise DeadlineInputError(N_("%(text)s n'a pas d'heure\u00a0: donnez aussi l'heure, par exemple %(text)s "
                                    "14:20"),
                                 text=cleaned)
    try:
        if _DAY_FIRST.fullmatch(cleaned):
            parsed = datetime.strptime(cleaned, "%d/%m/%Y %H:%M:%S" if cleaned.count(":") == 2 else "%d/%m/%Y %H:%M")
        elif re.search(r"[T ]\d", cleaned, re.IGNORECASE):
            parsed = datetime.fromisoformat(cleaned)
        else:
            raise ValueError(cleaned)
    except ValueError:
        raise DeadlineInputError(
            N_("date et heure illisibles\u00a0: %(text)s (attendu par exemple 2026-10-23 14:20 ou 23/10/2026 "
               "14:20)"),
            text=repr(text.strip()[:60])) from None
    return local_to_utc(parsed, tzinfo)


# --- the rules ----------------------------------------------------------------------------------------------------

def cnil_deadline(aware_at: datetime, period_hours: float = CNIL_PERIOD_HOURS) -> datetime:
    """GDPR art. 33(1): notify the CNIL "not later than 72 hours after having become aware of it".

    Elapsed time, weekends and public holidays included: the awareness instant plus the period, in UTC."""
    return _utc(aware_at, "aware_at") + _hours(period_hours)


def regulation_1182_71_deadline(aware_at: datetime, period_hours: float = CNIL_PERIOD_HOURS,
                                tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> datetime:
    """Regulation (EEC, Euratom) 1182/71 art. 3(1) and 3(2)(a): the hour during which the event occurs does not
    count; a period in hours starts at the beginning of the first following hour and ends when its last hour expires.

    Whether the rule governs GDPR art. 33 is debated: this reading is shown as a note, never as the deadline, since
    it is always later than ``cnil_deadline``. Hours are those of the local clock (the same as UTC hours in
    Europe/Paris)."""
    aware = _utc(aware_at, "aware_at")
    local = aware.astimezone(zone(tz))
    into_hour = timedelta(minutes=local.minute, seconds=local.second, microseconds=local.microsecond)
    return aware - into_hour + timedelta(hours=1) + _hours(period_hours)


def is_late(aware_at: datetime, sent_at: datetime, period_hours: float = CNIL_PERIOD_HOURS) -> bool:
    """GDPR art. 33(1): a notification sent at the 72nd hour exactly is still "within 72 hours"."""
    return _utc(sent_at, "sent_at") > cnil_deadline(aware_at, period_hours)


def delay_reasons_required(aware_at: datetime, sent_at: datetime, period_hours: float = CNIL_PERIOD_HOURS) -> bool:
    """GDPR art. 33(1): "Where the notification to the supervisory authority is not made within 72 hours, it shall
    be accompanied by reasons for the delay"."""
    return is_late(aware_at, sent_at, period_hours)


def add_one_month(instant: datetime, tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> datetime:
    """The same wall-clock time on the same day of the next month in ``tz``, or on the last day of that month when
    the day does not exist there (31 January -> 28 or 29 February).

    Regulation 1182/71 art. 3(2)(c) counts a period in months to the day that "falls on the same date", and when
    that day does not occur in the last month, to the last day of that month. The regulation would let the period
    run to the end of that day; keeping the starting time of day is earlier, hence safe. If that wall-clock time
    falls in a DST gap or fold, the earlier of its two readings is taken, again the safe side."""
    tzinfo = zone(tz)
    local = _utc(instant).astimezone(tzinfo)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    day = min(local.day, calendar.monthrange(year, month)[1])
    wall = local.replace(year=year, month=month, day=day, tzinfo=None)
    readings = (wall.replace(tzinfo=tzinfo, fold=0), wall.replace(tzinfo=tzinfo, fold=1))
    return min(reading.astimezone(UTC) for reading in readings)


def _status(due: datetime, done_at: datetime | None, now: datetime, *, immediate: bool = False) -> dict:
    if done_at is not None:
        # "Sans délai" has no hour count, so a report can never be shown as late against it.
        if immediate or done_at <= due:
            return {"status": ClockStatus.DONE_ON_TIME, "remaining": None, "lateness": None}
        return {"status": ClockStatus.DONE_LATE, "remaining": None, "lateness": done_at - due}
    if immediate or now > due:
        return {"status": ClockStatus.OVERDUE, "remaining": None, "lateness": now - due}
    return {"status": ClockStatus.PENDING, "remaining": due - now, "lateness": None}


def _clock(code: str, label: str, due: datetime, done_at: datetime | None, now: datetime, source: str, *,
           immediate: bool = False) -> Clock:
    done = _utc(done_at, f"{code} done_at") if done_at is not None else None
    return Clock(code=code, label=label, due=due, done_at=done, immediate=immediate, source=source,
                 **_status(due, done, now, immediate=immediate))


def compute_clocks(aware_at: datetime, *, period_hours: float = CNIL_PERIOD_HOURS, nis2_in_scope: bool,
                   cnil_sent_at: datetime | None = None, ars_reported_at: datetime | None = None,
                   nis2_early_warning_sent_at: datetime | None = None,
                   nis2_notification_sent_at: datetime | None = None,
                   nis2_final_report_sent_at: datetime | None = None, now: datetime,
                   tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> list[Clock]:
    """Every clock a breach starts, in the order the UI lists them: CNIL, ARS / CERT Santé, then NIS2 when the
    establishment is in scope (French transposition still pending in 2026: a per-establishment setting)."""
    aware = _utc(aware_at, "aware_at")
    now = _utc(now, "now")
    clocks = [
        _clock("cnil", N_("Notification à la CNIL"), cnil_deadline(aware, period_hours),
               cnil_sent_at, now, N_("RGPD art. 33(1)")),
        # CSP art. L.1111-8-2 and décret 2016-1214: serious incidents are reported "sans délai", no hour count.
        _clock("ars_cert_sante", N_("Signalement à l'ARS / CERT Santé"), aware,
               ars_reported_at, now, N_("Code de la santé publique art. L.1111-8-2\u00a0; décret n° 2016-1214"),
               immediate=True),
    ]
    if nis2_in_scope:
        notification_due = aware + timedelta(hours=NIS2_NOTIFICATION_HOURS)
        # Art. 23(4)(d): "not later than one month after the submission of the incident notification"; before it is
        # submitted, the notification deadline stands in for the submission.
        final_report_due = add_one_month(_utc(nis2_notification_sent_at) if nis2_notification_sent_at
                                         else notification_due, tz)
        clocks += [
            _clock("nis2_early_warning", N_("NIS2\u00a0: alerte précoce"),
                   aware + timedelta(hours=NIS2_EARLY_WARNING_HOURS), nis2_early_warning_sent_at, now,
                   N_("Directive (UE) 2022/2555 (NIS2) art. 23(4)(a)")),
            _clock("nis2_notification", N_("NIS2\u00a0: notification d'incident"),
                   notification_due, nis2_notification_sent_at, now,
                   N_("Directive (UE) 2022/2555 (NIS2) art. 23(4)(b)")),
            _clock("nis2_final_report", N_("NIS2\u00a0: rapport final"), final_report_due,
                   nis2_final_report_sent_at, now, N_("Directive (UE) 2022/2555 (NIS2) art. 23(4)(d)")),
        ]
    return clocks


# --- NIS2 follow-up reports and the NIS1 declaration to the ANSSI (issue 15) --------------------------------------

def nis2_intermediate_clock(requested_at: datetime | None, *, due_at: datetime | None = None,
                            sent_at: datetime | None = None, now: datetime) -> Clock | None:
    """Directive (EU) 2022/2555 art. 23(4)(c): "upon the request of a CSIRT or, where relevant, the competent
    authority, an intermediate report on relevant status updates". No clock until it is requested; due on the date
    the authority set, or, when it set none, at once (shown as a "sans délai" reminder)."""
    if requested_at is None:
        return None
    requested = _utc(requested_at, "requested_at")
    due = _utc(due_at, "due_at") if due_at is not None else requested
    return _clock("nis2_intermediate_report", N_("NIS2\u00a0: rapport intermédiaire"), due, sent_at,
                  _utc(now, "now"), N_("Directive (UE) 2022/2555 (NIS2) art. 23(4)(c)"), immediate=due_at is None)


def nis2_ongoing_at_final_report(final_report_due: datetime, *, ongoing: bool, handled_at: datetime | None,
                                 ended_at: datetime | None = None) -> bool:
    """Art. 23(4)(e): is the incident still ongoing when the final report falls due? It is when its handling ended
    after that date, or has not ended and the breach is recorded as still in progress."""
    end = handled_at if handled_at is not None else (None if ongoing else ended_at)
    if end is None:
        return ongoing
    return _utc(end, "handled_at") > _utc(final_report_due, "final_report_due")


def nis2_progress_clocks(final_report_due: datetime, *, ongoing: bool, handled_at: datetime | None = None,
                         ended_at: datetime | None = None, progress_report_sent_at: datetime | None = None,
                         final_report_sent_at: datetime | None = None, now: datetime,
                         tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> list[Clock]:
    """Directive (EU) 2022/2555 art. 23(4)(e): "in the event of an ongoing incident at the time of the submission of
    the final report ..., a progress report at that time and a final report within one month of their handling of
    the incident".

    Empty when the incident is not ongoing at the final-report date (the final report of compute_clocks stands).
    Otherwise the progress report, due at the final-report date, and, once the end of the handling is known, the
    final report due one month after it: a clock with the code ``nis2_final_report`` that replaces compute_clocks'
    one. While the handling goes on, the final report has no date yet and only the progress report is shown."""
    if not nis2_ongoing_at_final_report(final_report_due, ongoing=ongoing, handled_at=handled_at, ended_at=ended_at):
        return []
    now = _utc(now, "now")
    clocks = [_clock("nis2_progress_report", N_("NIS2\u00a0: rapport d'avancement"), _utc(final_report_due),
                     progress_report_sent_at, now, N_("Directive (UE) 2022/2555 (NIS2) art. 23(4)(e)"))]
    if handled_at is not None:
        clocks.append(_clock("nis2_final_report", N_("NIS2\u00a0: rapport final"), add_one_month(handled_at, tz),
                             final_report_sent_at, now, N_("Directive (UE) 2022/2555 (NIS2) art. 23(4)(e)")))
    return clocks


def anssi_oes_clock(aware_at: datetime, *, reported_at: datetime | None = None, now: datetime) -> Clock:
    """NIS1, as transposed in France: an operator of essential services declares to the ANSSI, "sans délai" after
    becoming aware of it, any incident with a significant impact on the continuity of its essential services (loi
    n° 2018-133 du 26 février 2018 art. 7; décret n° 2018-384 du 23 mai 2018 art. 11). A per-establishment setting
    (Establishment.nis1_oes): the designation is made by the Prime Minister, establishment by establishment."""
    return _clock("anssi_oes", N_("Déclaration à l'ANSSI (opérateur de services essentiels)"),
                  _utc(aware_at, "aware_at"), reported_at, _utc(now, "now"),
                  N_("Loi n° 2018-133 art. 7\u00a0; décret n° 2018-384 art. 11"), immediate=True)


# --- a complementary notification promised, the letters to send (issue 13) ----------------------------------------

def cnil_complement_clock(promised_for: datetime, *, sent_at: datetime | None = None, now: datetime) -> Clock:
    """GDPR art. 33(4): "where, and in so far as, it is not possible to provide the information at the same time,
    the information may be provided in phases without undue further delay". The date the controller announced to the
    CNIL for the complementary notification is a deadline of its own, kept until it is sent."""
    return _clock("cnil_complement", N_("CNIL\u00a0: notification complémentaire promise"),
                  _utc(promised_for, "promised_for"), sent_at, _utc(now, "now"),
                  N_("RGPD art. 33(4)\u00a0: date annoncée à la CNIL"))


def letters_to_send_clock(letter_date: date, *, now: datetime, tz: str | ZoneInfo = DEFAULT_TIMEZONE) -> Clock:
    """GDPR art. 34(1): the data subjects are informed "without undue delay". Once a letter is approved, its date
    ("Lyon, le 8 décembre 2026") is the day the letters go: due at the end of that day, Paris time (a letter posted
    later reaches the patient with a date already past). The letters feature gives it while letters remain to send."""
    due = datetime.combine(letter_date, time(23, 59), tzinfo=zone(tz)).astimezone(UTC)
    return _clock("patient_letters", N_("Courriers aux patients à envoyer"), due, None, _utc(now, "now"),
                  N_("RGPD art. 34(1)\u00a0: sans retard injustifié\u00a0; date portée sur les courriers"))
