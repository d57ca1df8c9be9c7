"""tracking upload: large tracking files applied in the background (issue 12, point 5)

Revision ID: c3d1e5a7b902
Revises: c3a8d51e0f27
Create Date: 2026-12-01 20:45:00

"""
from alembic import op
import sqlalchemy as sa

import notifier.core.types


# revision identifiers, used by Alembic.
revision = 'c3d1e5a7b902'
down_revision = 'c3a8d51e0f27'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'tracking_upload',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('breach_id', sa.Integer(), nullable=False),
        sa.Column('filename', sa.String(length=255), nullable=False),
        sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('default_status', sa.String(length=20), nullable=False),
        sa.Column('default_date', sa.Date(), nullable=False),
        sa.Column('staged_file', sa.String(length=255), nullable=True),
        sa.Column('worker', sa.String(length=200), nullable=True),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('updated', sa.Integer(), nullable=False),
        sa.Column('by_status', sa.JSON(), nullable=False),
        sa.Column('problem_count', sa.Integer(), nullable=False),
        sa.Column('problems', sa.JSON(), nullable=False),
        sa.Column('error', sa.String(length=500), nullable=True),
        sa.Column('started_at', notifier.core.types.UTCDateTime(), nullable=False),
        sa.Column('finished_at', notifier.core.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], ),
        sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('tracking_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tracking_upload_breach_id'), ['breach_id'], unique=False)


def downgrade():
    with op.batch_alter_table('tracking_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tracking_upload_breach_id'))
    op.drop_table('tracking_upload')
