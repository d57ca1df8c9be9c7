"""SQLAlchemy models, one module per aggregate. Importing this package registers every table."""

from notifier.models.audit import AuditEntry
from notifier.models.breach import Breach, BreachChange
from notifier.models.organisation import Establishment, Organisation
from notifier.models.patient import Patient, PatientImport
from notifier.models.report import ReportVersion as ReportVersion
from notifier.models.user import User

__all__ = ["AuditEntry", "Breach", "BreachChange", "Establishment", "Organisation", "Patient", "PatientImport", "User"]
