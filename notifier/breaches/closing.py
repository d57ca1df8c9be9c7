"""A closed breach is read-only (issue 12, point 13): its record is in the register (GDPR art. 33(5)) as it was
when the DPO closed it. Every service that changes the breach or what hangs from it (wizard steps, risk assessment
and override, letter templates and their approval, letter generation, patient imports and fixes) calls
`ensure_open` first; the web answers with the message and the breach page, a command with its one error line.

Still allowed on a closed breach, because they happen after the end by nature: tracking returned letters (and the
public notice that replaces them), reprints, reports and exports (they read), and the purge of the patient list,
which waits for the closing (GDPR art. 5(1)(e)). A DPO reopens the breach with a written reason
(`breaches.services.reopen_breach`), recorded in its history and in the audit trail."""

from __future__ import annotations

from notifier.breaches.models import Breach
from notifier.core.errors import Refusal
from notifier.core.i18n import N_

CLOSED_MESSAGE = N_("Violation clôturée\u00a0: elle n'est plus modifiable. Un DPO peut la rouvrir en indiquant le "
                    "motif.")


class BreachClosedError(Refusal):
    """A change refused because the breach is closed."""

    def __init__(self, breach: Breach):
        self.breach_id = breach.id
        self.reference = breach.reference
        super().__init__(CLOSED_MESSAGE)


def closing_warnings(breach: Breach) -> list[str]:
    """What other features ask the DPO to confirm before closing (core.events.breach_closing: an exchange with the
    CNIL still awaiting a reply, tasks of the plan still open), translated by each receiver."""
    from notifier.core import events

    return [warning for warnings in events.gathered(events.breach_closing.send(breach)) for warning in warnings]


def ensure_open(breach: Breach) -> None:
    if breach.status == "closed":
        raise BreachClosedError(breach)
