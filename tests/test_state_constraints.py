"""States are enums, and the database refuses any other value: a CHECK constraint per state column, declared on the
models (create_all) and added by a migration (db upgrade), both built from the same enums."""

import ast
import importlib
import importlib.util
import inspect
import re
from datetime import date
from enum import StrEnum
from pathlib import Path

import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, create_engine, select, text, update
from sqlalchemy import inspect as inspect_schema
from sqlalchemy.exc import IntegrityError

from notifier import create_app
from notifier.accounts.roles import Role
from notifier.breaches.states import BreachStatus
from notifier.cases.states import Direction, ExchangeStatus, Party, TaskStatus, TimelineKind
from notifier.extensions import db
from notifier.hotline.states import CallOutcome, CallReason
from notifier.letters.states import (
    Audience,
    Channel,
    ChunkStatus,
    EmailStatus,
    JobKind,
    JobStatus,
    LetterStatus,
    ReviewKind,
)
from notifier.patients.states import Addressee, Hold, ImportStatus, PatientStatus
from notifier.reports.states import ReportDocument, ReportKind
from notifier.risk.states import RiskTrigger
from notifier.verification.states import Outcome

MIGRATION = Path(__file__).resolve().parent.parent / "migrations/versions/c4e1a7d2b9f3_state_check_constraints.py"
class UserLanguage(StrEnum):
    """The languages a user may choose (notifier.accounts.models.User.language, CHECK ck_user_language)."""
    FR = "fr"
    EN = "en"


# Migrations that created a table with a state column after c4e1a7d2b9f3, each with its own STATE_COLUMNS.
LATER_MIGRATIONS = (Path(__file__).resolve().parent.parent / "migrations/versions/cc13550970e7_letter_review.py",
                    Path(__file__).resolve().parent.parent / "migrations/versions/34097b9cf5d9_case.py")
STATE_MODULES = ("notifier.permissions", "notifier.breaches.states", "notifier.letters.states",
                 "notifier.patients.states", "notifier.reports.states", "notifier.risk.states",
                 "notifier.hotline.states", "notifier.verification.states", "notifier.cases.states")
FIRST_STATE_COLUMNS = {
    ("user", "role"): Role,
    ("breach", "status"): BreachStatus,
    ("patient_import", "status"): ImportStatus,
    ("patient", "status"): PatientStatus,
    ("patient", "addressee"): Addressee,
    ("letter_template", "audience"): Audience,
    ("letter", "status"): LetterStatus,
    ("letter_job", "status"): JobStatus,
    ("letter_chunk", "status"): ChunkStatus,
    ("letter_event", "status"): LetterStatus,
    ("report_version", "document"): ReportDocument,
    ("report_version", "kind"): ReportKind,
    ("risk_assessment", "trigger"): RiskTrigger,
}
# Tables added after the state constraints migration (c4e1a7d2b9f3), each with its constraints in its own migration.
STATE_COLUMNS = {
    **FIRST_STATE_COLUMNS,
    ("hotline_call", "reason"): CallReason,
    ("hotline_call", "outcome"): CallOutcome,
    ("verification_count", "outcome"): Outcome,
    ("letter_review", "kind"): ReviewKind,
    ("case_task", "status"): TaskStatus,
    ("exchange", "direction"): Direction,
    ("exchange", "party"): Party,
    ("exchange", "status"): ExchangeStatus,
    ("timeline_event", "kind"): TimelineKind,
    ("letter_template", "channel"): Channel,  # 5a51ddcafbc9, patient e-mails
    ("letter_job", "kind"): JobKind,
    ("letter_email", "status"): EmailStatus,
    ("user", "language"): UserLanguage,  # b7c2e4f1a9d3, the language reminders are written in
}


# CHECKs on JSON lists of codes, not on a state column: tests/patients/test_hold_codes.py.
CODE_LIST_CONSTRAINTS = frozenset({"ck_patient_holds", "ck_patient_cleared_holds"})


def _model_check_constraints() -> dict[str, str]:
    return {constraint.name: str(constraint.sqltext) for table in db.metadata.tables.values()
            for constraint in table.constraints
            if isinstance(constraint, CheckConstraint) and constraint.name not in CODE_LIST_CONSTRAINTS}


def _values_in(sql: str) -> set[str]:
    """The quoted values of a CHECK (col IN (...)), as written by us or rewritten by PostgreSQL (= ANY (ARRAY[...]))."""
    return set(re.findall(r"'([^']*)'", sql))


@pytest.fixture
def rows(app, breach, dpo):
    """One row of every table that has a state column, with valid states, committed."""
    from notifier.letters.models import (
        Letter,
        LetterChunk,
        LetterEmail,
        LetterEvent,
        LetterJob,
        LetterReview,
        LetterTemplate,
    )
    from notifier.patients.models import Patient, PatientImport
    from notifier.reports.models import ReportVersion
    from notifier.risk.models import RiskAssessment

    imp = PatientImport(breach_id=breach.id, filename="patients.csv", sha256="0" * 64)
    db.session.add(imp)
    db.session.flush()
    patient = Patient(breach_id=breach.id, import_id=imp.id, row_number=2, patient_id="IPP1", last_name="MARTIN",
                      address_lines=["M. MARTIN", "1 RUE DE LA PAIX", "75002 PARIS"])
    template = LetterTemplate(organisation_id=breach.organisation_id, breach_id=breach.id, variant="standard",
                              version=1, texts={}, sender={}, letter_date=date(2026, 12, 1))
    job = LetterJob(organisation_id=breach.organisation_id, breach_id=breach.id, token="t" * 24, out_dir="/tmp/x",
                    lot_size=5000, variants=[])
    letter = Letter(breach_id=breach.id, serial=1, number=1, status=LetterStatus.GENERATED)
    version = ReportVersion(organisation_id=breach.organisation_id, breach_id=breach.id, document=ReportDocument.CNIL,
                            number=1, kind=ReportKind.INITIAL, lang="fr", storage_name="r" * 32, filename="r.pdf",
                            sha256="0" * 64, size=1, breach_document={})
    assessment = RiskAssessment(breach_id=breach.id, trigger=RiskTrigger.MANUAL, facts={}, result={}, severity="low",
                                severity_score=1.0, risk_level="unlikely", notify_authority=False,
                                inform_subjects=False)
    from notifier.cases.models import CaseTask, Exchange, TimelineEvent
    from notifier.core.types import utcnow

    task = CaseTask(breach_id=breach.id, title="Notifier la CNIL", status=TaskStatus.TODO)
    exchange = Exchange(breach_id=breach.id, direction=Direction.INCOMING, party=Party.CNIL, occurred_at=utcnow(),
                        subject="Demande de compléments", status=ExchangeStatus.NO_REPLY)
    event = TimelineEvent(breach_id=breach.id, occurred_at=utcnow(), kind=TimelineKind.OTHER, description="x")
    db.session.add_all([patient, template, job, letter, version, assessment, task, exchange, event])
    db.session.flush()
    from notifier.hotline.models import HotlineCall
    from notifier.verification.models import VerificationCount

    db.session.add_all([
        HotlineCall(organisation_id=breach.organisation_id, breach_id=breach.id, reason=CallReason.GENUINE,
                    outcome=CallOutcome.ANSWERED),
        VerificationCount(breach_id=breach.id, day=date(2026, 12, 1), outcome=Outcome.GENUINE, count=1),
        LetterChunk(job_id=job.id, chunk_no=1, variant_index=0, first_postcode="75002", first_pk=patient.id,
                    last_postcode="75002", last_pk=patient.id, expected=1),
        LetterEvent(letter_id=letter.id, status=LetterStatus.GENERATED, status_date=date(2026, 12, 1)),
        LetterReview(organisation_id=breach.organisation_id, breach_id=breach.id, template_id=template.id,
                     kind=ReviewKind.SUBMITTED),
        LetterEmail(breach_id=breach.id, patient_pk=patient.id, letter_id=letter.id, template_id=template.id,
                    job_id=job.id, chunk_no=1),
    ])
    db.session.commit()


def _set(table: str, column: str, value: str) -> None:
    with db.session.begin_nested():
        db.session.execute(update(db.metadata.tables[table]).values({column: value}))


@pytest.mark.parametrize(("table", "column"), list(STATE_COLUMNS))
def test_an_unknown_state_written_through_sql_is_refused(rows, table, column):
    length = getattr(db.metadata.tables[table].c[column].type, "length", None)
    with pytest.raises(IntegrityError, match=f"ck_{table}_{column}"):
        _set(table, column, "bogus"[:length])  # ("unknown" is a verification outcome; a language is 2 letters)
    db.session.rollback()


@pytest.mark.parametrize(("table", "column"), list(STATE_COLUMNS))
def test_every_state_of_the_enum_is_accepted(rows, table, column):
    for state in STATE_COLUMNS[table, column]:
        _set(table, column, state.value)
    db.session.commit()
    stored = db.session.scalars(select(db.metadata.tables[table].c[column]).distinct()).all()
    assert stored == [list(STATE_COLUMNS[table, column])[-1].value]


def test_a_letter_not_yet_generated_has_no_status(rows):
    _set("letter", "status", None)
    db.session.commit()


def test_each_state_column_has_its_constraint_on_the_models(app):
    constraints = _model_check_constraints()
    assert set(constraints) == {f"ck_{table}_{column}" for table, column in STATE_COLUMNS}
    for (table, column), states in STATE_COLUMNS.items():
        assert _values_in(constraints[f"ck_{table}_{column}"]) == {state.value for state in states}


def test_the_migration_adds_the_same_constraints_as_the_models():
    spec = importlib.util.spec_from_file_location("state_migration", MIGRATION)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert {(table, column): states for table, column, states in migration.STATE_COLUMNS} == FIRST_STATE_COLUMNS


@pytest.fixture
def empty_database(backend, tmp_path):
    """An app on an empty database (a fresh SQLite file, or a fresh PostgreSQL schema) for `db upgrade`."""
    from tests.conftest import _database_url

    url = _database_url(backend, tmp_path)
    options, schema = {}, None
    if backend == "postgresql":
        import uuid

        schema = f"m_{uuid.uuid4().hex[:12]}"
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": options, "STORAGE_DIR": str(tmp_path / "storage"),
                      "SECRET_KEY": "x"})
    with app.app_context():
        yield
        db.session.remove()
        db.engine.dispose()
    if schema:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _database_check_constraints() -> dict[str, set[str]]:
    schema = inspect_schema(db.engine)
    return {constraint["name"]: _values_in(constraint["sqltext"]) for table in schema.get_table_names()
            for constraint in schema.get_check_constraints(table)
            if constraint["name"] and constraint["name"] not in CODE_LIST_CONSTRAINTS}


def test_db_upgrade_creates_the_constraints_and_downgrade_removes_them(empty_database):
    expected = {f"ck_{table}_{column}": {state.value for state in states}
                for (table, column), states in STATE_COLUMNS.items()}
    upgrade()
    assert _database_check_constraints() == expected
    downgrade(revision="7f2e9010a747")
    assert _database_check_constraints() == {}
    upgrade()
    assert _database_check_constraints() == expected


def test_an_upgraded_database_refuses_an_unknown_state(empty_database):
    upgrade()
    organisation_id = db.session.execute(text("INSERT INTO organisation (name) VALUES ('O') RETURNING id")).scalar()
    insert_user = text(
        'INSERT INTO "user" (organisation_id, email, name, role, password_hash, active, created_at, failed_logins)'
        " VALUES (:organisation, :email, '', :role, 'x', :active, CURRENT_TIMESTAMP, 0)")
    with db.session.begin_nested():
        db.session.execute(insert_user, {"organisation": organisation_id, "email": "a@x.test", "role": "dpo",
                                         "active": True})
    with pytest.raises(IntegrityError, match="ck_user_role"), db.session.begin_nested():
        db.session.execute(insert_user, {"organisation": organisation_id, "email": "b@x.test", "role": "superuser",
                                         "active": True})
    db.session.rollback()


@pytest.mark.parametrize("module_name", STATE_MODULES)
def test_state_modules_import_neither_flask_nor_sqlalchemy(module_name):
    tree = ast.parse(inspect.getsource(importlib.import_module(module_name)))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {"enum"}


def test_label_tables_name_exactly_the_states():
    """Labels live beside the views and documents (translated there); they must name every state and no other."""
    from notifier.letters import services as letters
    from notifier.patients.rules.rows import HOLDS
    from notifier.patients.views import IMPORT_STATUS_LABELS
    from notifier.register.services import STATUS_LABELS as BREACH_STATUS_LABELS
    from notifier.reports.services import DOCUMENTS, KIND_LABELS
    from notifier.risk.views import TRIGGERS

    assert set(IMPORT_STATUS_LABELS) == set(ImportStatus)
    assert set(HOLDS) == set(Hold)
    assert set(letters.STATUS_LABELS) == set(LetterStatus)
    assert set(letters.AUDIENCE_LABELS) == set(Audience)
    assert set(BREACH_STATUS_LABELS) == set(BreachStatus)
    assert set(DOCUMENTS) == set(ReportDocument)
    assert set(KIND_LABELS) == set(ReportKind)
    assert set(TRIGGERS) == set(RiskTrigger)
