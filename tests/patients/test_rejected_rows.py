"""Rejected rows keep the file's own values, so that the rejected-rows CSV can be fixed in a spreadsheet and
imported again; that CSV is opened in Excel, so formulas are neutralised (OWASP CSV injection)."""

import csv
import io
from datetime import date

import pytest

from notifier.patients.rules.rows import open_patient_file, write_rejected_csv

TODAY = date(2026, 6, 1)
LETTER_DATE = date(2026, 6, 15)
SOURCE = (
    "N° IPP;Nom;Prénom;Date de naissance;Adresse;Code postal;Ville;Remarque\n"
    "1001;DURAND;Hélène;12/03/1980;12 rue de la Paix;75002;Paris;\n"
    "1002;  Martin ;Léa;31/02/1980;3 allée des Lilas;750;Lyon;=HYPERLINK(\"http://x\")\n"
    '1003;;Paul;01/01/1970;"1, place X";75002;Paris;-2+3\n'
)


def import_all(data: bytes, seen_ids=None):
    patient_file = open_patient_file(io.BytesIO(data), "patients.csv")
    rows = list(patient_file.rows(patient_file.detected_mapping.mapping, today=TODAY, letter_date=LETTER_DATE,
                                  seen_ids=seen_ids))
    return patient_file, rows


def rejected_csv(patient_file, rows) -> bytes:
    out = io.BytesIO()
    count = write_rejected_csv(out, patient_file.headers, [row for row in rows if not row.accepted])
    assert count == sum(not row.accepted for row in rows)
    return out.getvalue()


def test_rejected_row_keeps_the_original_values_keyed_by_the_original_headers():
    _file, rows = import_all(SOURCE.encode())
    rejected = rows[1]
    assert not rejected.accepted and rejected.row_number == 3
    assert rejected.original == {"N° IPP": "1002", "Nom": "  Martin ", "Prénom": "Léa",
                                 "Date de naissance": "31/02/1980", "Adresse": "3 allée des Lilas",
                                 "Code postal": "750", "Ville": "Lyon", "Remarque": '=HYPERLINK("http://x")'}


def test_rejected_rows_csv_is_utf8_bom_semicolon_with_the_original_columns_and_french_errors():
    patient_file, rows = import_all(SOURCE.encode())
    data = rejected_csv(patient_file, rows)
    assert data.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert table[0] == ["N° IPP", "Nom", "Prénom", "Date de naissance", "Adresse", "Code postal", "Ville",
                        "Remarque", "erreurs"]
    assert table[1][:3] == ["1002", "  Martin ", "Léa"]
    assert table[1][-1] == ("ligne 3 : Date impossible : ce jour n'existe pas (Date de naissance : « 31/02/1980 ») ; "
                            "Code postal français invalide : 5 chiffres attendus (Code postal : « 750 »)")
    assert table[2][-1] == "ligne 4 : Nom manquant"


@pytest.mark.parametrize("cell", ["=1+1", "+33 1 23", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_cells_a_spreadsheet_would_run_as_formulas_get_a_leading_apostrophe(cell):
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")
    writer.writerows([["IPP", "Nom", "DDN", "Adresse", "CP", "Ville"], ["1", "DURAND", "31/02/1980", "1 rue X",
                                                                       "75002", cell]])
    patient_file, rows = import_all(text.getvalue().encode())
    table = list(csv.reader(io.StringIO(rejected_csv(patient_file, rows).decode("utf-8-sig")), delimiter=";"))
    assert table[1][5] == "'" + cell


def test_error_text_quoting_a_formula_cannot_run_either():
    data = "IPP;Nom;DDN;Adresse;CP;Ville\n1;DURAND;=1+1;1 rue X;75002;PARIS\n"
    patient_file, rows = import_all(data.encode())
    table = list(csv.reader(io.StringIO(rejected_csv(patient_file, rows).decode("utf-8-sig")), delimiter=";"))
    assert table[1][2] == "'=1+1"
    assert table[1][-1].startswith("ligne 2 : ") and table[1][-1].endswith("(Date de naissance : « =1+1 »)")


def test_fixed_rejected_rows_import_again():
    patient_file, rows = import_all(SOURCE.encode())
    first_import = {row.patient["patient_id"] for row in rows if row.accepted}
    table = list(csv.reader(io.StringIO(rejected_csv(patient_file, rows).decode("utf-8-sig")), delimiter=";"))
    header, *lines = table
    fixes = {"1002": {"Date de naissance": "28/02/1980", "Code postal": "69003"}, "1003": {"Nom": "LEROY"}}
    fixed = io.StringIO()
    writer = csv.writer(fixed, delimiter=";")
    writer.writerow(header)
    for line in lines:
        values = dict(zip(header, line, strict=True))
        values.update(fixes[values["N° IPP"]])
        writer.writerow(list(values.values()))

    again_file, again = import_all(b"\xef\xbb\xbf" + fixed.getvalue().encode(), seen_ids=first_import)
    assert again_file.detected_mapping.unmapped_headers == ["Remarque", "erreurs"]
    assert [row.accepted for row in again] == [True, True]
    martin, leroy = (row.patient for row in again)
    assert martin["last_name"] == "Martin" and martin["birth_date"] == date(1980, 2, 28)
    assert leroy["address_lines"] == ["Paul LEROY", "1 place X", "75002 PARIS"]


def test_rejected_file_imported_and_rejected_again_keeps_a_single_errors_column():
    patient_file, rows = import_all(SOURCE.encode())
    again_file, again = import_all(rejected_csv(patient_file, rows))
    header = rejected_csv(again_file, again).decode("utf-8-sig").splitlines()[0]
    assert header.count("erreurs") == 1


def test_the_formula_guard_apostrophe_is_removed_on_import_and_recorded():
    data = "IPP;Nom;DDN;Adresse;CP;Ville\n1;'-DURAND;12/03/1980;1 rue X;75002;PARIS\n"
    _file, [row] = import_all(data.encode())
    assert row.patient["last_name"] == "-DURAND"
    assert ("last_name", "'-DURAND", "-DURAND", "formula_guard_removed") in row.patient["normalisations"]
