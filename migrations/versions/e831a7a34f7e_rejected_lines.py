"""rejected lines: the rejected rows of a patient import kept to be shown and corrected in the browser (issue 13,
point 10), and the import's counts of rejected rows by reason

Revision ID: e831a7a34f7e
Revises: 382cd9aacc8e
Create Date: 2026-12-01 23:50:00

"""
from alembic import op
import sqlalchemy as sa

import notifier.core.types


# revision identifiers, used by Alembic.
revision = 'e831a7a34f7e'
down_revision = '382cd9aacc8e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rejected_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('breach_id', sa.Integer(), nullable=False),
        sa.Column('row_number', sa.Integer(), nullable=False),
        sa.Column('cells', sa.JSON(), nullable=False),
        sa.Column('errors', sa.JSON(), nullable=False),
        sa.Column('fixed_at', notifier.core.types.UTCDateTime(), nullable=True),
        sa.Column('fixed_by_id', sa.Integer(), nullable=True),
        sa.Column('patient_pk', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['breach_id'], ['breach.id']),
        sa.ForeignKeyConstraint(['fixed_by_id'], ['user.id']),
        sa.ForeignKeyConstraint(['import_id'], ['patient_import.id']),
        sa.ForeignKeyConstraint(['patient_pk'], ['patient.id'],
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_rejected_line_import_row', 'rejected_line', ['import_id', 'row_number'], unique=False)
    with op.batch_alter_table('patient_import') as batch_op:
        batch_op.add_column(sa.Column('rejection_counts', sa.JSON(), nullable=False, server_default='{}'))


def downgrade():
    with op.batch_alter_table('patient_import') as batch_op:
        batch_op.drop_column('rejection_counts')
    op.drop_index('ix_rejected_line_import_row', table_name='rejected_line')
    op.drop_table('rejected_line')
