"""returned letter e-mailed: the letter states' CHECK constraints rebuilt with "emailed" (and "resent",
"public_notice", which databases migrated before issue 14 part 3 do not accept) (issue 14, part 3)

Revision ID: 9e4b2c7d1a35
Revises: b7e2d4f1a9c3
Create Date: 2026-12-02 06:05:00

"""
from alembic import op

from notifier.core.types import one_of
from notifier.letters.states import LetterStatus


# revision identifiers, used by Alembic.
revision = '9e4b2c7d1a35'
down_revision = 'b7e2d4f1a9c3'
branch_labels = None
depends_on = None

TABLES = ("letter", "letter_event")


def _rebuild(states) -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"ck_{table}_status", type_="check")
            constraint = one_of(table, "status", states)
            batch_op.create_check_constraint(constraint.name, constraint.sqltext)


def upgrade():
    _rebuild(LetterStatus)


def downgrade():
    op.execute("UPDATE letter SET status = 'returned' WHERE status = 'emailed'")
    op.execute("DELETE FROM letter_event WHERE status = 'emailed'")
    _rebuild([state for state in LetterStatus if state != LetterStatus.EMAILED])
