"""hold code checks: Patient.holds and cleared_holds accept only the codes of states.Hold (issue 14)

Revision ID: b7d4e2f19a60
Revises: 9e4b2c7d1a35
Create Date: 2026-12-02 06:05:00

"""
from alembic import op

from notifier.patients.models import codes_in
from notifier.patients.states import Hold

# revision identifiers, used by Alembic.
revision = 'b7d4e2f19a60'
down_revision = '9e4b2c7d1a35'
branch_labels = None
depends_on = None

# The JSON list columns of hold codes (the models' __table_args__ build the same constraints with codes_in).
CODE_LIST_COLUMNS = (("patient", "holds", Hold), ("patient", "cleared_holds", Hold))


def upgrade():
    with op.batch_alter_table('patient', schema=None) as batch_op:
        for table, column, codes in CODE_LIST_COLUMNS:
            constraint = codes_in(table, column, codes)
            batch_op.create_check_constraint(constraint.name, constraint.sqltext)


def downgrade():
    with op.batch_alter_table('patient', schema=None) as batch_op:
        for table, column, _codes in CODE_LIST_COLUMNS:
            batch_op.drop_constraint(f'ck_{table}_{column}', type_='check')
