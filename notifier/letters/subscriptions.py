"""What the letters feature does when others announce something (notifier/core/events.py)."""

from notifier.core import events
from notifier.letters import emails


@events.people_informed.connect
def _emailed(breach, **_kwargs):
    """The patients informed by e-mail, for the complementary notification (GDPR art. 34)."""
    return emails.people_informed(breach)
