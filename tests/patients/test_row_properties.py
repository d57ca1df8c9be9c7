"""Whatever a cell or a file holds, the import answers with accepted or rejected rows, or refuses the whole file
with ImportFileError: never another exception, and never an address that breaks NF Z10-011."""

import csv
import io
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from notifier.patients.rules.addresses import MAX_LINE_LENGTH
from notifier.patients.rules.rows import ImportFileError, open_patient_file

TODAY = date(2026, 6, 1)
LETTER_DATE = date(2026, 6, 15)
HEADERS = ["IPP", "Civilité", "Prénom", "Nom", "Date de naissance", "Complément d'adresse", "Bâtiment",
           "N° et voie", "Lieu-dit", "Code postal", "Ville", "Pays", "Courriel", "Décédé", "Représentant légal",
           "Segment", "Majeur protégé", "Soins confidentiels"]
GOOD = ["1001", "Mme", "Hélène", "DURAND", "12/03/2015", "", "", "12 rue de la Paix", "", "75002", "PARIS", "",
        "", "", "Mme Sophie DURAND", "", "", ""]
SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def read_all(data: bytes):
    patient_file = open_patient_file(io.BytesIO(data), "patients.csv")
    return list(patient_file.rows(patient_file.detected_mapping.mapping, today=TODAY, letter_date=LETTER_DATE))


def assert_letter_ready(patient):
    limit = 6 if patient["country"] == "" or "address_abroad" not in patient["holds"] else 7
    assert 2 <= len(patient["address_lines"]) <= limit
    assert all(0 < len(line) <= MAX_LINE_LENGTH for line in patient["address_lines"])
    assert patient["patient_id"] and patient["last_name"]
    assert isinstance(patient["birth_date"], date) and patient["birth_date"] <= TODAY


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, len(HEADERS) - 1), st.text(max_size=50)), max_size=8))
def test_random_text_in_any_cell_gives_an_accepted_or_a_rejected_row(changes):
    row = list(GOOD)
    for column, text in changes:
        row[column] = text
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerows([HEADERS, GOOD, row])
    results = read_all(out.getvalue().encode("utf-8"))
    assert results[0].accepted
    for result in results[1:]:
        if result.accepted:
            assert_letter_ready(result.patient)
        else:
            assert result.errors and result.original["IPP"] == row[0]


@SETTINGS
@given(st.one_of(
    st.binary(max_size=400),
    st.binary(max_size=400).map(lambda tail: ";".join(HEADERS).encode() + b"\n" + tail),
    st.binary(max_size=400).map(lambda tail: b"PK\x03\x04" + tail),
))
def test_random_bytes_give_rows_or_a_refusal_never_a_crash(data):
    try:
        results = read_all(data)
    except ImportFileError as error:
        assert error.message("fr") and error.message("en")
        return
    for result in results:
        if result.accepted:
            assert_letter_ready(result.patient)
