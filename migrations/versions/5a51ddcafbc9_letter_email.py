"""letter e-mails: a channel per letter variant, e-mail jobs and one e-mail per patient (issue 14, part 2)

Revision ID: 5a51ddcafbc9
Revises: 34097b9cf5d9
Create Date: 2026-12-01 23:55:00

"""
from alembic import op
import sqlalchemy as sa

import notifier.core.types
from notifier.core.types import one_of
from notifier.letters.states import Channel, EmailStatus, JobKind


# revision identifiers, used by Alembic.
revision = '5a51ddcafbc9'
down_revision = '34097b9cf5d9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter_template') as batch:
        batch.add_column(sa.Column('channel', sa.String(length=20), server_default='paper', nullable=False))
        batch.create_check_constraint('ck_letter_template_channel', one_of('letter_template', 'channel', Channel).sqltext)
    with op.batch_alter_table('letter_job') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=10), server_default='letters', nullable=False))
        batch.add_column(sa.Column('rate', sa.Float(), nullable=True))
        batch.create_check_constraint('ck_letter_job_kind', one_of('letter_job', 'kind', JobKind).sqltext)
    op.create_table(
        'letter_email',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('breach_id', sa.Integer(), nullable=False),
        sa.Column('patient_pk', sa.Integer(), nullable=True),
        sa.Column('letter_id', sa.Integer(), nullable=False),
        sa.Column('template_id', sa.Integer(), nullable=False),
        sa.Column('job_id', sa.Integer(), nullable=False),
        sa.Column('chunk_no', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('message_id', sa.String(length=200), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('attempted_at', notifier.core.types.UTCDateTime(), nullable=True),
        sa.Column('sent_at', notifier.core.types.UTCDateTime(), nullable=True),
        sa.Column('queue_id', sa.String(length=100), nullable=True),
        sa.Column('smtp_code', sa.String(length=20), nullable=True),
        sa.Column('smtp_text', sa.String(length=500), nullable=True),
        sa.Column('failed_at', notifier.core.types.UTCDateTime(), nullable=True),
        one_of('letter_email', 'status', EmailStatus),
        sa.ForeignKeyConstraint(['breach_id'], ['breach.id'], ),
        sa.ForeignKeyConstraint(['job_id'], ['letter_job.id'], ),
        sa.ForeignKeyConstraint(['letter_id'], ['letter.id'], ),
        sa.ForeignKeyConstraint(['patient_pk'], ['patient.id'], ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['template_id'], ['letter_template.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('message_id'),
        sa.UniqueConstraint('patient_pk'),
    )
    op.create_index('ix_letter_email_breach_status', 'letter_email', ['breach_id', 'status'], unique=False)
    op.create_index('ix_letter_email_job_chunk', 'letter_email', ['job_id', 'chunk_no', 'id'], unique=False)
    op.create_index(op.f('ix_letter_email_letter_id'), 'letter_email', ['letter_id'], unique=False)
    op.create_index(op.f('ix_letter_email_queue_id'), 'letter_email', ['queue_id'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_letter_email_queue_id'), table_name='letter_email')
    op.drop_index(op.f('ix_letter_email_letter_id'), table_name='letter_email')
    op.drop_index('ix_letter_email_job_chunk', table_name='letter_email')
    op.drop_index('ix_letter_email_breach_status', table_name='letter_email')
    op.drop_table('letter_email')
    with op.batch_alter_table('letter_job') as batch:
        batch.drop_constraint('ck_letter_job_kind', type_='check')
        batch.drop_column('rate')
        batch.drop_column('kind')
    with op.batch_alter_table('letter_template') as batch:
        batch.drop_constraint('ck_letter_template_channel', type_='check')
        batch.drop_column('channel')
