"""hotline and verification: the hotline role, call scripts, calls, public-page counts (issue 17)

Revision ID: 382cd9aacc8e
Revises: c3d1e5a7b902
Create Date: 2026-12-01 23:50:00

"""
from alembic import op
import sqlalchemy as sa

import notifier.core.types
from notifier.accounts.roles import Role
from notifier.core.types import one_of
from notifier.hotline.states import CallOutcome, CallReason
from notifier.verification.states import Outcome

# revision identifiers, used by Alembic.
revision = '382cd9aacc8e'
down_revision = 'c3d1e5a7b902'
branch_labels = None
depends_on = None

ROLES_BEFORE = ("dpo", "legal", "viewer", "admin")


def _role_check(values):
    return sa.CheckConstraint('"role" IN (' + ", ".join(f"'{v}'" for v in values) + ")", name="ck_user_role")


def upgrade():
    # The hotline role: the user.role CHECK constraint is rebuilt with every role of notifier.permissions.Role.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint('ck_user_role', type_='check')
        check = one_of('user', 'role', Role)
        batch_op.create_check_constraint(check.name, check.sqltext)
    op.create_table(
        'call_script',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('breach_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('texts', sa.JSON(), nullable=False),
        sa.Column('phone', sa.String(length=50), nullable=False),
        sa.Column('hours', sa.String(length=200), nullable=False),
        sa.Column('notice_url', sa.String(length=500), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', notifier.core.types.UTCDateTime(), nullable=False),
        sa.Column('approved_by_id', sa.Integer(), nullable=True),
        sa.Column('approved_at', notifier.core.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['approved_by_id'], ['user.id'], ),
        sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], ),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('breach_id', 'version', name='uq_call_script_version'),
    )
    with op.batch_alter_table('call_script', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_call_script_breach_id'), ['breach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_call_script_organisation_id'), ['organisation_id'], unique=False)
    op.create_table(
        'hotline_call',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('breach_id', sa.Integer(), nullable=False),
        sa.Column('patient_pk', sa.Integer(), nullable=True),
        sa.Column('reason', sa.String(length=20), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('created_at', notifier.core.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], ),
        sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
        sa.ForeignKeyConstraint(['patient_pk'], ['patient.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        one_of('hotline_call', 'reason', CallReason),
        one_of('hotline_call', 'outcome', CallOutcome),
    )
    with op.batch_alter_table('hotline_call', schema=None) as batch_op:
        batch_op.create_index('ix_hotline_call_breach_created', ['breach_id', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotline_call_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotline_call_patient_pk'), ['patient_pk'], unique=False)
    op.create_table(
        'verification_count',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('breach_id', sa.Integer(), nullable=True),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('outcome', sa.String(length=20), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        one_of('verification_count', 'outcome', Outcome),
    )
    with op.batch_alter_table('verification_count', schema=None) as batch_op:
        batch_op.create_index('ix_verification_count_key', ['breach_id', 'day', 'outcome'], unique=False)


def downgrade():
    op.drop_table('verification_count')
    op.drop_table('hotline_call')
    op.drop_table('call_script')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint('ck_user_role', type_='check')
        check = _role_check(ROLES_BEFORE)
        batch_op.create_check_constraint(check.name, check.sqltext)
