"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from notifier.models.audit import AuditEntry
from notifier.models.breach import Breach, BreachChange
from notifier.models.organisation import Establishment, Organisation
from notifier.models.user import User

__all__ = ["AuditEntry", "Breach", "BreachChange", "Establishment", "Organisation", "User"]
