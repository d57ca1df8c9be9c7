"""breach references numbered per organisation: unique (organisation_id, reference) instead of unique reference

Revision ID: c3a8d51e0f27
Revises: c3a1d5e8f042
Create Date: 2026-12-01 20:40:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = 'c3a8d51e0f27'
down_revision = 'c3a1d5e8f042'
branch_labels = None
depends_on = None

# The initial schema left the unique constraint on breach.reference unnamed: PostgreSQL calls it
# breach_reference_key; SQLite gives it no name, so the batch copy names it through this convention.
_SQLITE_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _old_constraint_name() -> str:
    return "breach_reference_key" if op.get_bind().dialect.name == "postgresql" else "uq_breach_reference"


def upgrade():
    with op.batch_alter_table('breach', schema=None, naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint(_old_constraint_name(), type_='unique')
        batch_op.create_unique_constraint('uq_breach_organisation_reference', ['organisation_id', 'reference'])


def downgrade():
    # Refused by the database if two organisations already share a reference (their numbering is independent now).
    with op.batch_alter_table('breach', schema=None, naming_convention=_SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint('uq_breach_organisation_reference', type_='unique')
        batch_op.create_unique_constraint(_old_constraint_name(), ['reference'])
