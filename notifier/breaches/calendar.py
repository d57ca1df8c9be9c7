"""The clocks of a breach as an iCalendar file (RFC 5545), for the DPO's calendar (Outlook, Thunderbird, Google):
one event per deadline, at its due time, with a reminder before it; a duty already done is marked so. The events
keep the same UID from one download to the next, so a calendar that imports the file again updates them instead of
adding copies."""

from __future__ import annotations

from datetime import UTC, timedelta

from icalendar import Alarm, Calendar, Event

from notifier.breaches.models import Breach
from notifier.breaches.rules.deadlines import ClockStatus
from notifier.core.formatting import format_datetime
from notifier.core.i18n import N_, translate
from notifier.core.types import utcnow

REMINDERS = (timedelta(hours=12), timedelta(hours=2))
"""Reminders before a deadline: half a day to prepare, two hours to send."""


def calendar_file(breach: Breach, clocks: list, *, lang: str = "fr", url: str | None = None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//notifier//breach deadlines//FR")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"{breach.reference} · {translate(N_('Délais'), lang)}")
    stamp = utcnow()
    for clock in clocks:
        event = Event()
        label = translate(clock.label, lang)
        event.add("uid", f"{breach.reference}-{clock.code}-{breach.organisation_id}@notifier")
        event.add("dtstamp", stamp)
        due = clock.due.astimezone(UTC)
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(minutes=30))
        done = clock.done_at is not None
        prefix = translate(N_("Fait"), lang) + " · " if done else ""
        event.add("summary", f"{prefix}{breach.reference} · {label}")
        lines = [f"{breach.reference} {breach.title}".strip(), label, translate(clock.source, lang)]
        if clock.immediate:
            lines.append(translate(N_("Sans délai : à faire dès que possible"), lang))
        else:
            due_label = translate(N_("Échéance\u00a0:"), lang)
            lines.append(f"{due_label} {format_datetime(clock.due, lang)}")
        if done:
            lines.append(f"{translate(N_('Fait le'), lang)} {format_datetime(clock.done_at, lang)}")
        if url:
            lines.append(url)
            event.add("url", url)
        event.add("description", "\n".join(lines))
        event.add("categories", ["notifier", breach.reference])
        event.add("status", "CONFIRMED")
        event.add("transp", "OPAQUE")
        if not done and clock.status == ClockStatus.PENDING:
            for before in REMINDERS:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", f"{breach.reference} · {label}")
                alarm.add("trigger", -before)
                event.add_component(alarm)
        calendar.add_component(event)
    return calendar.to_ical()
