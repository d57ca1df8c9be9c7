"""a user's language (fr, en), saved by the language switch, for the reminder e-mails (issue 16)

Revision ID: b7c2e4f1a9d3
Revises: 5a51ddcafbc9
Create Date: 2026-12-02 06:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7c2e4f1a9d3'
down_revision = '5a51ddcafbc9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user') as batch:
        batch.add_column(sa.Column('language', sa.String(length=2), nullable=True))
        batch.create_check_constraint('ck_user_language', "\"language\" IN ('fr', 'en')")


def downgrade():
    with op.batch_alter_table('user') as batch:
        batch.drop_constraint('ck_user_language', type_='check')
        batch.drop_column('language')
