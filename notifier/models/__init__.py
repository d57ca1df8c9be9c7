"""Every table of the application; importing this package registers them all with SQLAlchemy (and Alembic)."""

from notifier.models.audit import AuditEntry
from notifier.models.breach import Breach, BreachChange
from notifier.models.letter import Letter, LetterChunk, LetterEvent, LetterJob, LetterOutput, LetterTemplate
from notifier.models.organisation import Establishment, Organisation
from notifier.models.patient import ImportMapping, Patient, PatientImport
from notifier.models.report import ReportVersion
from notifier.models.risk import RiskAssessment
from notifier.models.user import User

__all__ = [
    "AuditEntry", "Breach", "BreachChange", "Establishment", "ImportMapping", "Letter", "LetterChunk", "LetterEvent",
    "LetterJob", "LetterOutput", "LetterTemplate", "Organisation", "Patient", "PatientImport", "ReportVersion",
    "RiskAssessment", "User",
]
