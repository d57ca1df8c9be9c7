"""establishment.dpo_gender: the DPO's civility, so that "délégué / déléguée" agrees (issue 13)

- establishment.dpo_gender: "f", "m" or NULL (not given). It prefills the contact's title of new breaches and makes
  the letters' DPO heading agree.
- Backfilled only where one can tell, for each establishment with a DPO, from the most recent evidence about that
  DPO in its breaches:
  1. a letter template's sender block whose "dpo_gender" a person chose ("f" or "m") and whose contact names the
     establishment's DPO;
  2. else the breach's contact title, when the contact is the establishment's DPO: a feminine title ("Déléguée ...",
     "Directrice ...") tells "f"; a masculine title tells "m" only when it is not the title every new breach was
     prefilled with ("Délégué à la protection des données"), which nobody chose.
  Otherwise NULL: the admin form asks.
- The rules are written here as they were on the day, not imported from the code that may change later.

Revision ID: b7e2d4f1a9c3
Revises: b7c2e4f1a9d3
Create Date: 2026-12-02 06:00:00

"""
import json
import re

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7e2d4f1a9c3'
down_revision = 'b7c2e4f1a9d3'
branch_labels = None
depends_on = None

_FEMININE = re.compile(r"\b(d[ée]l[ée]gu[ée]e|directrice)\b", re.IGNORECASE)
_MASCULINE = re.compile(r"\b(d[ée]l[ée]gu[ée]|directeur)\b", re.IGNORECASE)
_PREFILLED = "Délégué à la protection des données"


def _json(value):
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value or "{}")
    except (TypeError, ValueError):
        return {}


def _same_person(name, dpo_name):
    return " ".join(str(name or "").split()).casefold() == " ".join(str(dpo_name or "").split()).casefold()


def _from_title(role):
    role = str(role or "").strip()
    if _FEMININE.search(role):
        return "f"
    if _MASCULINE.search(role) and role != _PREFILLED:
        return "m"
    return None


def _backfill():
    connection = op.get_bind()
    establishment = sa.table("establishment", sa.column("id", sa.Integer), sa.column("dpo_name", sa.String),
                             sa.column("dpo_gender", sa.String))
    breach = sa.table("breach", sa.column("id", sa.Integer), sa.column("establishment_id", sa.Integer),
                      sa.column("sections", sa.JSON))
    template = sa.table("letter_template", sa.column("id", sa.Integer), sa.column("breach_id", sa.Integer),
                        sa.column("sender", sa.JSON))
    for row in connection.execute(sa.select(establishment.c.id, establishment.c.dpo_name)).fetchall():
        if not (row.dpo_name or "").strip():
            continue
        gender = None
        senders = connection.execute(
            sa.select(template.c.sender).join(breach, breach.c.id == template.c.breach_id)
            .where(breach.c.establishment_id == row.id).order_by(template.c.id.desc())).fetchall()
        for (sender,) in senders:
            sender = _json(sender)
            contact = str(sender.get("contact") or "").split(",")[0]
            if sender.get("dpo_gender") in ("f", "m") and _same_person(contact, row.dpo_name):
                gender = sender["dpo_gender"]
                break
        if gender is None:
            breaches = connection.execute(sa.select(breach.c.sections).where(breach.c.establishment_id == row.id)
                                          .order_by(breach.c.id.desc())).fetchall()
            for (sections,) in breaches:
                contacts = _json(sections).get("contacts") or {}
                if _same_person(contacts.get("contact_name"), row.dpo_name):
                    gender = _from_title(contacts.get("contact_role"))
                    if gender:
                        break
        if gender:
            connection.execute(establishment.update().where(establishment.c.id == row.id).values(dpo_gender=gender))


def upgrade():
    with op.batch_alter_table('establishment') as batch:
        batch.add_column(sa.Column('dpo_gender', sa.String(length=1), nullable=True))
    _backfill()


def downgrade():
    # A plain ALTER TABLE (SQLite 3.35 and later, PostgreSQL): the batch mode would copy and drop the establishment
    # table, which SQLite refuses while breaches and users point at it.
    op.execute('ALTER TABLE establishment DROP COLUMN dpo_gender')
