"""The life of a breach record (no Flask or SQLAlchemy here: rules, models, views and the CLI import it)."""

from enum import StrEnum


class BreachStatus(StrEnum):
    """Where a breach record stands in the art. 33(5) register.

    draft -> open: the first wizard step saved beyond the "notification" step (or an imported record, which starts
    open); open -> closed: the DPO closes the record. A closed record is kept, read-only, for the register; its patient
    list may be purged after the retention period."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
