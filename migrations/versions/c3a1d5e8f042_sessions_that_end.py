"""accounts: session epoch, forced password change, TOTP replay and failure delay, secrets kept server-side

Revision ID: c3a1d5e8f042
Revises: c4e1a7d2b9f3
Create Date: 2026-12-01 20:40:00

"""
from alembic import op
import sqlalchemy as sa

import notifier.core.types


# revision identifiers, used by Alembic.
revision = 'c3a1d5e8f042'
down_revision = 'c4e1a7d2b9f3'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('failed_totp', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('totp_locked_until', notifier.core.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

    op.create_table(
        'pending_secret',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=20), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.Column('details', sa.String(length=300), nullable=False),
        sa.Column('expires_at', notifier.core.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('pending_secret', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_secret_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_secret', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_secret_user_id'))
    op.drop_table('pending_secret')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
        batch_op.drop_column('session_epoch')
        batch_op.drop_column('totp_locked_until')
        batch_op.drop_column('failed_totp')
        batch_op.drop_column('totp_last_step')
