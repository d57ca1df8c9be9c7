"""case (issue 16): plan templates, tasks, evidence vault, timeline, exchanges, reminders sent

Revision ID: 34097b9cf5d9
Revises: cc13550970e7
Create Date: 2026-12-01 23:47:52.405960

"""
from alembic import op
import sqlalchemy as sa

import notifier.core.types
from notifier.cases.states import Direction, ExchangeStatus, Party, TaskStatus, TimelineKind
from notifier.core.types import one_of


# revision identifiers, used by Alembic.
revision = '34097b9cf5d9'
down_revision = 'cc13550970e7'
branch_labels = None

#: The state columns this migration creates, with their CHECK constraints (tests/test_state_constraints.py).
STATE_COLUMNS = (
    ("case_task", "status", TaskStatus),
    ("exchange", "direction", Direction),
    ("exchange", "party", Party),
    ("exchange", "status", ExchangeStatus),
    ("timeline_event", "kind", TimelineKind),
)
STATE = {(table, column): states for table, column, states in STATE_COLUMNS}
depends_on = None


def upgrade():
    op.create_table('plan_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('items', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', notifier.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('organisation_id')
    )
    op.create_table('case_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('breach_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('due_at', notifier.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('anchor', sa.String(length=40), nullable=True),
    sa.Column('offset_minutes', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', notifier.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', notifier.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('done_at', notifier.core.types.UTCDateTime(timezone=True), nullable=True),
    one_of('case_task', 'status', STATE['case_task', 'status']),
    sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['owner_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('case_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_task_breach_id'), ['breach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_task_owner_id'), ['owner_id'], unique=False)

    op.create_table('evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('breach_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_name', sa.String(length=64), nullable=True),
    sa.Column('thumbnail_name', sa.String(length=64), nullable=True),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', notifier.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_by_id', sa.Integer(), nullable=True),
    sa.Column('deleted_at', notifier.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], ),
    sa.ForeignKeyConstraint(['deleted_by_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_evidence_breach_id'), ['breach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_evidence_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('exchange',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('breach_id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('party', sa.String(length=20), nullable=False),
    sa.Column('occurred_at', notifier.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('reply_by', notifier.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_at', notifier.core.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', notifier.core.types.UTCDateTime(timezone=True), nullable=False),
    one_of('exchange', 'direction', STATE['exchange', 'direction']),
    one_of('exchange', 'party', STATE['exchange', 'party']),
    one_of('exchange', 'status', STATE['exchange', 'status']),
    sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_breach_id'), ['breach_id'], unique=False)

    op.create_table('reminder_sent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=250), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('breach_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('queue_id', sa.String(length=100), nullable=True),
    sa.Column('sent_at', notifier.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], ),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], ),
    sa.ForeignKeyConstraint(['recipient_id'], ['user.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    with op.batch_alter_table('reminder_sent', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_sent_breach_id'), ['breach_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_sent_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('timeline_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('breach_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', notifier.core.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('params', sa.JSON(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=60), nullable=True),
    sa.Column('created_at', notifier.core.types.UTCDateTime(timezone=True), nullable=False),
    one_of('timeline_event', 'kind', STATE['timeline_event', 'kind']),
    sa.ForeignKeyConstraint(['author_id'], ['user.id'], ),
    sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('breach_id', 'source', name='uq_timeline_event_breach_source')
    )
    with op.batch_alter_table('timeline_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_timeline_event_breach_id'), ['breach_id'], unique=False)

    op.create_table('exchange_evidence',
    sa.Column('exchange_id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], ),
    sa.ForeignKeyConstraint(['exchange_id'], ['exchange.id'], ),
    sa.PrimaryKeyConstraint('exchange_id', 'evidence_id')
    )
    op.create_table('timeline_evidence',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('evidence_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['timeline_event.id'], ),
    sa.ForeignKeyConstraint(['evidence_id'], ['evidence.id'], ),
    sa.PrimaryKeyConstraint('event_id', 'evidence_id')
    )


def downgrade():
    op.drop_table('timeline_evidence')
    op.drop_table('exchange_evidence')
    with op.batch_alter_table('timeline_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_timeline_event_breach_id'))

    op.drop_table('timeline_event')
    with op.batch_alter_table('reminder_sent', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_sent_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_sent_breach_id'))

    op.drop_table('reminder_sent')
    with op.batch_alter_table('exchange', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_breach_id'))

    op.drop_table('exchange')
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_evidence_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_evidence_breach_id'))

    op.drop_table('evidence')
    with op.batch_alter_table('case_task', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_task_owner_id'))
        batch_op.drop_index(batch_op.f('ix_case_task_breach_id'))

    op.drop_table('case_task')
    op.drop_table('plan_template')
