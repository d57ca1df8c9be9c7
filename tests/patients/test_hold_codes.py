"""The hold codes are a closed vocabulary (states.Hold): the database refuses any other code in Patient.holds and
Patient.cleared_holds (a CHECK on the JSON list's text, the same on SQLite and PostgreSQL: models.codes_in), and the
model refuses one before the database does."""

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, update
from sqlalchemy.exc import IntegrityError

from notifier import create_app
from notifier.extensions import db
from notifier.patients import services as patients
from notifier.patients.models import Patient, unknown_holds
from notifier.patients.states import Hold

COLUMNS = ("holds", "cleared_holds")


@pytest.fixture
def imported(files, dpo, breach, tmp_path):
    """Patients held for every reason an import gives, stored by the import's bulk writer (executemany / COPY)."""
    minor = f"01/01/{files.THIS_YEAR - 10}"
    path = files.write_csv(tmp_path / "p.csv", [
        files.person("100001", last="Alone", born=minor),
        files.person("100002", last="Gone", deceased="oui"),
        files.person("100003", last="Ward", protected="oui"),
        files.person("100004", last="Lost", postcode="75011", city="Lyon"),
        files.person("100005", last="Ready"),
    ])
    patients.import_file(breach, path, user=dpo)
    return {p.last_name: p for p in Patient.query}


def _write(column, value):
    """Through SQL, past the model's check: only the database's CHECK stands in the way."""
    db.session.execute(update(Patient.__table__).values({column: value}))
    db.session.flush()


def test_the_imports_bulk_writer_stores_the_hold_codes_the_database_accepts(imported):
    assert {p.last_name: p.holds for p in imported.values()} == {
        # A minor without a named representative is written to the parents, not held (issue 13).
        "Alone": [], "Gone": ["deceased"], "Ward": ["protected_adult_without_guardian"],
        "Lost": ["address_to_verify"], "Ready": []}


@pytest.mark.parametrize("column", COLUMNS)
def test_every_hold_code_together_is_accepted(imported, column):
    _write(column, [hold.value for hold in Hold])
    db.session.commit()
    db.session.expire_all()
    assert {tuple(getattr(p, column)) for p in Patient.query} == {tuple(hold.value for hold in Hold)}


@pytest.mark.parametrize("column", COLUMNS)
@pytest.mark.parametrize("value", [
    ["bogus"],
    ["deceased", "bogus"],
    ["Deceased"],  # codes are exact
    ["deceased_x"],  # a known code as a prefix
    [["deceased"]],  # a nested list
    {"deceased": True},  # an object
    "deceased",  # a JSON string, not a list
    [1],
], ids=repr)
def test_an_unknown_hold_code_written_through_sql_is_refused(imported, column, value):
    with pytest.raises(IntegrityError, match=f"ck_patient_{column}"):
        _write(column, value)
    db.session.rollback()


@pytest.mark.parametrize("column", COLUMNS)
def test_the_model_refuses_an_unknown_hold_code_before_the_database(imported, column):
    patient = imported["Ready"]
    with pytest.raises(ValueError, match="unknown hold code in .*'bogus'"):
        setattr(patient, column, ["deceased", "bogus"])
    with pytest.raises(ValueError, match="must be a list"):
        setattr(patient, column, "deceased")
    setattr(patient, column, ["deceased"])
    db.session.commit()


def test_unknown_holds_names_what_is_not_a_code():
    assert unknown_holds(["deceased", "address_to_verify"]) == []
    assert unknown_holds(["deceased", "x", 3]) == ["x", 3]


def test_db_upgrade_adds_both_checks_beside_the_state_checks(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SQLALCHEMY_DATABASE_URI": url,
                      "STORAGE_DIR": str(tmp_path / "storage"), "SECRET_KEY": "x"})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    engine = create_engine(url)
    names = {constraint["name"] for constraint in inspect(engine).get_check_constraints("patient")}
    engine.dispose()
    assert {"ck_patient_holds", "ck_patient_cleared_holds", "ck_patient_status"} <= names
