"""What letters does when other features announce something (notifier/core/events.py); imported by
notifier.create_app (`_register_features`), never by the announcing feature."""

from __future__ import annotations

from notifier.breaches.states import BreachStatus
from notifier.core import events
from notifier.letters import returns


@events.hotline_call_logged.connect
def _address_given_on_the_phone(call, *, breach=None, patient=None, user=None, new_address=None, **_ignored):
    """A patient who calls the hotline with a new address: the address is checked and changed, and a letter already
    generated is re-sent to it (returns.change_address). The call is logged whatever the address check says: a
    refused address is returned to the sender, which shows it (the hotline records what the patient said)."""
    if not new_address or patient is None or breach is None or user is None:
        return None
    if breach.status == BreachStatus.CLOSED:
        return None  # no letter goes out for a closed breach; the call itself is still logged

    return returns.change_address(breach, patient, new_address, user=user, source="hotline")
