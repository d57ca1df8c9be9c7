"""letter resent from: a returned letter re-sent to a new address is a new letter linked to the first (issue 14,
part 3; issue 13, point 11)

Revision ID: 4138f91bf6bb
Revises: e831a7a34f7e
Create Date: 2026-12-01 23:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4138f91bf6bb'
down_revision = 'e831a7a34f7e'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resent_from_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_letter_resent_from_id'), ['resent_from_id'], unique=True)
        batch_op.create_foreign_key('fk_letter_resent_from_id_letter', 'letter', ['resent_from_id'], ['id'])


def downgrade():
    with op.batch_alter_table('letter', schema=None) as batch_op:
        batch_op.drop_constraint('fk_letter_resent_from_id_letter', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_letter_resent_from_id'))
        batch_op.drop_column('resent_from_id')
