"""legal fidelity: NIS1 operator-of-essential-services setting, two NIS2 report documents, new breach fields (issue 15)

- establishment.nis1_oes: the establishment is an operator of essential services under the NIS1 transposition (loi
  n° 2018-133, décret n° 2018-384): its incidents are declared to the ANSSI, one more clock.
- report_version.document accepts the NIS2 intermediate and progress reports (directive 2022/2555 art. 23(4)(c), (e)).
- every stored breach gets the new fields of its sections, empty, so that old breaches stay valid documents (the
  fields are written here as they were on the day, not read from the code that may change later).

Revision ID: fcd1c3142d8a
Revises: 4138f91bf6bb
Create Date: 2026-12-01 23:55:00

"""
import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'fcd1c3142d8a'
down_revision = '4138f91bf6bb'
branch_labels = None
depends_on = None

OLD_DOCUMENTS = ("cnil", "ars", "nis2_early_warning", "nis2_notification", "nis2_final_report")
NEW_DOCUMENTS = (*OLD_DOCUMENTS, "nis2_intermediate_report", "nis2_progress_report")

NEW_FIELDS = {
    "notification": {"notification_state": None, "withdrawal_reason": None},
    "contacts": {"filer_name": None, "filer_role": None, "filer_email": None, "filer_phone": None,
                 "joint_controllers": False, "joint_controller_identity": None},
    "nature": {"breach_certainty": None},
    "systems": {"processor_name": None, "processor_alerted_at": None, "processor_hds": None},
    "consequences": {"consequence_natures": [], "risk_method": None, "risk_method_name": None,
                     "risk_method_result": None},
    "measures": {"security_measures_before": [], "security_measures_before_details": None,
                 "recurrence_measures": None},
    "other_bodies": {"ars_response_state": None, "degraded_mode": False, "crisis_cell": False, "care_impact": None,
                     "organisation_impact": None, "cert_sante_support": False, "cert_sante_support_details": None,
                     "nis2_intermediate_requested_at": None, "nis2_intermediate_due_at": None,
                     "nis2_intermediate_sent_at": None, "nis2_progress_report_sent_at": None,
                     "nis2_incident_handled_at": None, "anssi_reported_at": None, "anssi_reference": None},
}


def _check(values):
    return '"document" IN (' + ", ".join(f"'{value}'" for value in values) + ")"


def _sections(change):
    connection = op.get_bind()
    breach = sa.table("breach", sa.column("id", sa.Integer), sa.column("sections", sa.JSON))
    for row in connection.execute(sa.select(breach.c.id, breach.c.sections)).fetchall():
        sections = row.sections if isinstance(row.sections, dict) else json.loads(row.sections or "{}")
        changed = change(sections)
        if changed:
            connection.execute(breach.update().where(breach.c.id == row.id).values(sections=sections))


def _add_fields(sections):
    changed = False
    for step, fields in NEW_FIELDS.items():
        section = sections.setdefault(step, {})
        for name, default in fields.items():
            if name not in section:
                section[name] = default
                changed = True
    return changed


def _drop_fields(sections):
    changed = False
    for step, fields in NEW_FIELDS.items():
        section = sections.get(step)
        if isinstance(section, dict):
            for name in fields:
                if name in section:
                    del section[name]
                    changed = True
    data = sections.get("data")
    if isinstance(data, dict) and "not_yet_known" in (data.get("data_categories") or []):
        data["data_categories"] = [code for code in data["data_categories"] if code != "not_yet_known"]
        changed = True
    return changed


def upgrade():
    with op.batch_alter_table('establishment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('nis1_oes', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('report_version', schema=None) as batch_op:
        batch_op.drop_constraint('ck_report_version_document', type_='check')
        batch_op.create_check_constraint('ck_report_version_document', _check(NEW_DOCUMENTS))
    _sections(_add_fields)


def downgrade():
    kept = op.get_bind().execute(sa.text(
        "SELECT COUNT(*) FROM report_version WHERE document IN ('nis2_intermediate_report', 'nis2_progress_report')"
    )).scalar()
    if kept:
        # Report versions are kept forever (docs/reports.md): never delete them to go back.
        raise RuntimeError(f"{kept} NIS2 intermediate or progress report version(s) exist: cannot downgrade")
    _sections(_drop_fields)
    with op.batch_alter_table('report_version', schema=None) as batch_op:
        batch_op.drop_constraint('ck_report_version_document', type_='check')
        batch_op.create_check_constraint('ck_report_version_document', _check(OLD_DOCUMENTS))
    with op.batch_alter_table('establishment', schema=None) as batch_op:
        batch_op.drop_column('nis1_oes')
