"""What letters does when other features announce something (notifier.core.events).

- people_informed: the people this feature informed of the breach, for the complementary notification (GDPR art. 34;
  EDPB common template, "communication to data subjects"): letters posted (or resent) and letters replaced by the
  public notice of art. 34(3)(c), each channel with its count and the first and last day."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from notifier.core import events
from notifier.extensions import db
from notifier.letters.models import Letter
from notifier.letters.states import LetterStatus

PARIS = ZoneInfo("Europe/Paris")

CHANNELS = {
    # A letter informs its person once it is in the post; a returned one did not reach them (until resent).
    "letter": (LetterStatus.POSTED, LetterStatus.RESENT),
    # GDPR art. 34(3)(c): a letter that cannot reach its person is replaced by the public communication.
    "public_notice": (LetterStatus.PUBLIC_NOTICE,),
}


def _day(value) -> datetime | None:
    """A tracking date (a day, as La Poste reports it) as the start of that day in Paris."""
    return datetime.combine(value, time(0), tzinfo=PARIS) if value is not None else None


@events.people_informed.connect
def count_people_informed(breach, **_kwargs) -> dict[str, dict]:
    result = {}
    for channel, statuses in CHANNELS.items():
        count, first, last = db.session.execute(
            select(func.count(Letter.id), func.min(Letter.status_date), func.max(Letter.status_date))
            .where(Letter.breach_id == breach.id, Letter.status.in_([s.value for s in statuses]))).one()
        if count:
            result[channel] = {"count": count, "first": _day(first), "last": _day(last)}
    return result
