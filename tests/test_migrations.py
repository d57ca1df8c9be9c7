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
    downgrade(revision="-1")
    engine = create_engine(url)
    assert "tracking_upload" not in inspect(engine).get_table_names()
    assert "worker" in {column["name"] for column in inspect(engine).get_columns("patient_import")}
    engine.dispose()
    downgrade(revision="-1")
    engine = create_engine(url)
    assert "worker" not in {column["name"] for column in inspect(engine).get_columns("patient_import")}
    engine.dispose()
    upgrade()
    engine = create_engine(url)
    assert {"breach", "tracking_upload"} <= set(inspect(engine).get_table_names())
    assert "worker" in {column["name"] for column in inspect(engine).get_columns("patient_import")}
    engine.dispose()
