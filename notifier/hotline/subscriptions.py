"""What the hotline does when another feature acts (core.events): the patients' purge empties its calls' links."""

from notifier.core import events
from notifier.hotline import services


def _forget(breach_id, **_kwargs) -> None:
    services.forget_patients(breach_id)


def subscribe() -> None:
    events.patients_forgetting.connect(_forget, weak=False)
