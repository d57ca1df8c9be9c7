"""What the hotline does when other features announce something (notifier/core/events.py). Connected once, when
notifier.create_app imports this module."""

from notifier.core import events
from notifier.hotline import services


@events.patients_forgetting.connect
def forget_patients_in_calls(breach_id, **_):
    """The breach's patients are about to be deleted (GDPR art. 5(1)(e)): the calls keep their reason, outcome and
    date for the counts, but lose their link to the patient and their note."""
    services.forget_patients(breach_id)
