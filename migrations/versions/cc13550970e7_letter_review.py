"""letter review: the four-eyes history of letter templates (issue 13, point 8)

Revision ID: cc13550970e7
Revises: fcd1c3142d8a
Create Date: 2026-12-02 00:10:00

"""
from alembic import op
import sqlalchemy as sa

import notifier.core.types
from notifier.core.types import one_of
from notifier.letters.states import ReviewKind


# revision identifiers, used by Alembic.
revision = 'cc13550970e7'
down_revision = 'fcd1c3142d8a'
branch_labels = None
depends_on = None

# (table, column, enum) of the state columns this migration adds (tests/test_state_constraints.py reads it).
STATE_COLUMNS = (("letter_review", "kind", ReviewKind),)


def upgrade():
    op.create_table(
        'letter_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('breach_id', sa.Integer(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('user_email', sa.String(length=254), nullable=False),
        sa.Column('created_at', notifier.core.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], ),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
        sa.ForeignKeyConstraint(['template_id'], ['letter_template.id'], ),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
        one_of("letter_review", "kind", ReviewKind),
    )
    with op.batch_alter_table('letter_review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_letter_review_breach_id'), ['breach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_review_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_letter_review_template_id'), ['template_id'], unique=False)


def downgrade():
    with op.batch_alter_table('letter_review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_letter_review_template_id'))
        batch_op.drop_index(batch_op.f('ix_letter_review_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_letter_review_breach_id'))
    op.drop_table('letter_review')
