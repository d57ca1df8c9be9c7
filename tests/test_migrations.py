"""Schema changes go through Alembic: upgrade from empty gives exactly the models' schema; downgrade one step works."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect

from notifier import create_app
from notifier.extensions import db


@pytest.fixture
def empty_app(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url,
                      "STORAGE_DIR": str(tmp_path / "storage"), "SECRET_KEY": "x"})
    with app.app_context():
        yield app, url
        db.engine.dispose()


def test_upgrade_from_empty_matches_the_models(empty_app):
    app, url = empty_app
    upgrade()
    engine = create_engine(url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    engine.dispose()
    assert differences == [], "models changed without a migration: run `notifier db migrate -m '...'`"


def test_downgrade_one_step_then_upgrade_again(empty_app):
    app, url = empty_app
    upgrade()
    downgrade(revision="7f2e9010a747")  # back to the patient import worker, through every later downgrade
    engine = create_engine(url)
    tables = set(inspect(engine).get_table_names())
    assert "pending_secret" not in tables and "tracking_upload" not in tables
    assert "session_epoch" not in {column["name"] for column in inspect(engine).get_columns("user")}
    assert "worker" in {column["name"] for column in inspect(engine).get_columns("patient_import")}
    engine.dispose()
    downgrade(revision="-1")
    engine = create_engine(url)
    assert "worker" not in {column["name"] for column in inspect(engine).get_columns("patient_import")}
    engine.dispose()
    upgrade()
    engine = create_engine(url)
    assert {"breach", "pending_secret", "tracking_upload"} <= set(inspect(engine).get_table_names())
    assert "session_epoch" in {column["name"] for column in inspect(engine).get_columns("user")}
    assert "worker" in {column["name"] for column in inspect(engine).get_columns("patient_import")}
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def migrated_app(request, tmp_path):
    """An app on an empty database of each kind, for migrations that differ between SQLite and PostgreSQL."""
    import uuid

    from sqlalchemy import text

    from tests.conftest import POSTGRES_URL, postgres_unavailable

    schema, options = None, {}
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
    else:
        if postgres_unavailable():
            pytest.skip(postgres_unavailable())
        url, schema = POSTGRES_URL, f"m_{uuid.uuid4().hex[:12]}"
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        engine.dispose()
        options = {"connect_args": {"options": f"-csearch_path={schema}"}}
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url,
                      "SQLALCHEMY_ENGINE_OPTIONS": options, "STORAGE_DIR": str(tmp_path / "storage"),
                      "SECRET_KEY": "x", "AUDIT_KEY": "k"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
    if schema:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def _unique_sets(table: str) -> set[tuple[str, ...]]:
    inspector = inspect(db.engine)
    return {tuple(c["column_names"]) for c in inspector.get_unique_constraints(table)}


def test_breach_references_become_unique_per_organisation_and_back(migrated_app):
    upgrade(revision="c3a8d51e0f27")
    assert ("organisation_id", "reference") in _unique_sets("breach")
    assert ("reference",) not in _unique_sets("breach")
    downgrade(revision="7f2e9010a747")
    assert ("reference",) in _unique_sets("breach")
    assert ("organisation_id", "reference") not in _unique_sets("breach")


def _insert(table_name: str, **values) -> int:
    """One row as the database stood at that revision: the given values, a placeholder in every other required
    column (the models may already hold later columns)."""
    import datetime as dt

    import sqlalchemy as sa

    table = sa.Table(table_name, sa.MetaData(), autoload_with=db.engine)
    placeholders = {sa.Integer: 0, sa.Boolean: False, sa.DateTime: dt.datetime(2026, 1, 1),
                    sa.Date: dt.date(2026, 1, 1), sa.JSON: {}, sa.Float: 0.0}
    row = dict(values)
    for column in table.columns:
        if column.name in row or column.primary_key or column.nullable or column.server_default is not None:
            continue
        row[column.name] = next((value for kind, value in placeholders.items() if isinstance(column.type, kind)), "x")
    with db.engine.begin() as connection:
        return connection.execute(table.insert().values(**row).returning(table.c.id)).scalar_one()


def test_the_dpo_gender_is_backfilled_only_where_one_can_tell(migrated_app):
    """Issue 13: a letter's DPO heading chosen by a person, or a title that is not the prefilled masculine one, tells
    the DPO's civility; the prefilled "Délégué à la protection des données" tells nothing."""
    import sqlalchemy as sa

    upgrade(revision="5a51ddcafbc9")
    organisation = _insert("organisation", name="Groupe")
    user = _insert("user", organisation_id=organisation, email="dpo@x.test", role="dpo")

    def establishment(dpo_name):
        return _insert("establishment", organisation_id=organisation, name=dpo_name or "Sans DPO", dpo_name=dpo_name)

    def breach(where, name, role, number):
        contacts = {"contact_name": name, "contact_role": role}
        return _insert("breach", organisation_id=organisation, establishment_id=where, reference=f"V-{number}",
                       status="draft", sections={"contacts": contacts}, created_by_id=user)

    claire, paul, prefilled, chosen, nobody = (establishment(name) for name in (
        "Claire Martin", "Paul Roux", "Jean Petit", "Anne Morel", ""))
    breach(claire, "Claire Martin", "Déléguée à la protection des données", 1)
    breach(paul, "Paul Roux", "Délégué à la protection des données (DPO)", 2)
    breach(prefilled, "Jean Petit", "Délégué à la protection des données", 3)
    breach(prefilled, "Quelqu'un d'autre", "Directrice juridique", 4)  # not the establishment's DPO
    letter_breach = breach(chosen, "Anne Morel", "Délégué à la protection des données", 5)
    _insert("letter_template", organisation_id=organisation, breach_id=letter_breach, variant="v", version=1,
            lang="fr", audience="any", texts={}, sender={"contact": "Anne Morel, DPO", "dpo_gender": "f"})
    upgrade(revision="b7e2d4f1a9c3")
    with db.engine.connect() as connection:
        genders = dict(connection.execute(sa.text("SELECT id, dpo_gender FROM establishment")).all())
    assert genders == {claire: "f", paul: "m", prefilled: None, chosen: "f", nobody: None}
    downgrade(revision="5a51ddcafbc9")
    assert "dpo_gender" not in {c["name"] for c in inspect(db.engine).get_columns("establishment")}
