"""What risk does when the breach record changes (notifier/core/events.py): the breach feature announces, risk
re-assesses. Connected once, when notifier.create_app imports this module."""

from notifier.core import events
from notifier.risk import services
from notifier.risk.rules.facts import RiskFactsError, validate_facts


@events.breach_step_saved.connect
def reassess_after_step(breach, *, user, step_code, changed, **_):
    """A step bearing on the facts changed: the assessment follows the record (services.reassess_after_change)."""
    if step_code in services.FACT_SECTIONS:
        services.reassess_after_change(breach, user, changed)


@events.breach_imported.connect
def assess_imported_facts(breach, *, user, **_):
    """An imported document that carries risk facts is assessed as it is (services.reassess_after_import)."""
    services.reassess_after_import(breach, user)


@events.breach_document_checking.connect
def check_imported_facts(document, *, lang, **_):
    """The ``risk_facts`` part of a breach document is risk's: its problems refuse the whole document."""
    if document.get("risk_facts") is None:
        return []
    try:
        validate_facts(document["risk_facts"], lang)
    except RiskFactsError as error:
        return [(f"risk_facts/{path}", message) for path, message in error.problems]
    return []
