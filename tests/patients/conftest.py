"""Fixtures of the patient import tests: small patient files written the way hospital exports write them, the
command runner, and a helper that waits for a background import started by the web page."""

import csv
from datetime import date
from types import SimpleNamespace

import pytest

from notifier.extensions import db

HEADERS = ["IPP", "Civilité", "Prénom", "Nom", "Date de naissance", "Adresse", "Code postal", "Ville", "Décédé",
           "Représentant légal", "Majeur protégé", "Soins confidentiels"]
THIS_YEAR = date.today().year


def person(ipp, last="Martin", first="Jean", born="12/03/1960", street="12 rue des Lilas", postcode="75020",
           city="Paris", civility="M.", deceased="", guardian="", protected="", confidential=""):
    return [ipp, civility, first, last, born, street, postcode, city, deceased, guardian, protected, confidential]


def write_csv(path, rows, headers=HEADERS, encoding="utf-8", delimiter=";"):
    with open(path, "w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(headers)
        writer.writerows(rows)
    return path


def read_csv(data: bytes) -> list[list[str]]:
    text = data.decode("utf-8-sig")
    return list(csv.reader(text.splitlines(), delimiter=";"))


@pytest.fixture
def files():
    """The helpers above (test modules are imported without a package, so they cannot import this one)."""
    return SimpleNamespace(HEADERS=HEADERS, THIS_YEAR=THIS_YEAR, person=person, write_csv=write_csv,
                           read_csv=read_csv)


@pytest.fixture
def runner(app):
    """Command messages in English (NOTIFIER_LANG=en), as the assertions read; French: tests/core/test_cli_language."""
    return app.test_cli_runner(env={"NOTIFIER_LANG": "en"})


@pytest.fixture
def import_cli(runner, breach):
    """`notifier patients import BREACH FILE ...` for the breach fixture."""

    def run(path, *options):
        return runner.invoke(args=["patients", "import", str(breach.id), str(path), *map(str, options)])

    return run


@pytest.fixture
def finished():
    """Wait for a background import of this process, then read it again from the database."""
    from notifier.patients import services as patients
    from notifier.patients.models import PatientImport

    def wait(import_id):
        patients.wait_for(import_id, timeout=60)
        db.session.expire_all()
        return db.session.get(PatientImport, import_id)

    return wait
