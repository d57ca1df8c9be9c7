"""When a reminder is due (pure): the task owners before and when a task is due, the DPO as each clock approaches.

Each reminder has a key that names what it is about and the due date it was computed for: `notifier reminders send`
sends a key once (the key is recorded), and a due date that moves (awareness corrected) makes a new key, so the
owner hears of the new date."""

from __future__ import annotations

from datetime import datetime, timedelta

#: A task's owner is told this long before its due date, then once when it is due.
TASK_NOTICE = timedelta(hours=24)

#: Issue 16: the DPO gets "the approach of every clock (24 h, 6 h, 1 h before)"; 0 = the deadline has passed.
CLOCK_THRESHOLDS_HOURS = (24, 6, 1)

#: A reminder older than this is no longer sent (a server that was down for a week does not flood the DPO).
STALE_AFTER = timedelta(days=7)


def task_stage(due: datetime | None, now: datetime) -> str | None:
    """"before" within TASK_NOTICE of the due date, "due" once it has passed (for STALE_AFTER), else None."""
    if due is None:
        return None
    if now >= due:
        return "due" if now - due <= STALE_AFTER else None
    if due - now <= TASK_NOTICE:
        return "before"
    return None


def clock_stage(due: datetime | None, now: datetime) -> int | None:
    """The tightest threshold (hours before the deadline) already reached: 24, 6 or 1; 0 once the deadline passed;
    None when the deadline is further than the first threshold. Reaching 1 h after missing 24 h and 6 h (the server
    was off) sends one reminder, not three."""
    if due is None:
        return None
    if now >= due:
        return 0 if now - due <= STALE_AFTER else None
    left = due - now
    reached = [hours for hours in CLOCK_THRESHOLDS_HOURS if left <= timedelta(hours=hours)]
    return min(reached) if reached else None


def key(*parts: object) -> str:
    """A reminder's idempotency key: ``task:12:before:2026-10-24T10:00:00+00:00:user:3``."""
    return ":".join(part.isoformat() if isinstance(part, datetime) else str(part) for part in parts)[:250]
