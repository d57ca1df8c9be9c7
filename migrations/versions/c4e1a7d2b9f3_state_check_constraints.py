"""state check constraints: every state column accepts only the values of its enum

Revision ID: c4e1a7d2b9f3
Revises: 7f2e9010a747
Create Date: 2026-12-01 20:30:00.000000

"""
from alembic import op

from notifier.accounts.roles import Role
from notifier.breaches.states import BreachStatus
from notifier.core.types import one_of
from notifier.letters.states import Audience, ChunkStatus, JobStatus, LetterStatus
from notifier.patients.states import Addressee, ImportStatus, PatientStatus
from notifier.reports.states import ReportDocument, ReportKind
from notifier.risk.states import RiskTrigger

# revision identifiers, used by Alembic.
revision = 'c4e1a7d2b9f3'
down_revision = '7f2e9010a747'
branch_labels = None
depends_on = None

# (table, column, enum): the same list as the models' __table_args__ (tests/test_state_constraints.py compares them).
STATE_COLUMNS = (
    ("user", "role", Role),
    ("breach", "status", BreachStatus),
    ("patient_import", "status", ImportStatus),
    ("patient", "status", PatientStatus),
    ("patient", "addressee", Addressee),
    ("letter_template", "audience", Audience),
    ("letter", "status", LetterStatus),
    ("letter_job", "status", JobStatus),
    ("letter_chunk", "status", ChunkStatus),
    ("letter_event", "status", LetterStatus),
    ("report_version", "document", ReportDocument),
    ("report_version", "kind", ReportKind),
    ("risk_assessment", "trigger", RiskTrigger),
)


def _tables():
    tables: dict[str, list] = {}
    for table, column, states in STATE_COLUMNS:
        tables.setdefault(table, []).append((column, states))
    return tables


def upgrade():
    for table, columns in _tables().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, states in columns:
                constraint = one_of(table, column, states)
                batch_op.create_check_constraint(constraint.name, constraint.sqltext)


def downgrade():
    for table, columns in _tables().items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, _states in columns:
                batch_op.drop_constraint(f"ck_{table}_{column}", type_="check")
