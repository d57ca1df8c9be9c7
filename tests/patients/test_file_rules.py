"""Reading patient lists as hospitals and spreadsheets write them: encodings, separators, quoting, XLSX, row
numbers, and files that cannot be imported (ImportFileError with a one-line reason in French and English)."""

import csv
import io
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from notifier.patients.rules.addresses import Normalisation
from notifier.patients.rules.files import SAMPLE_BYTES
from notifier.patients.rules.rows import ImportFileError, RowError, open_patient_file

TODAY = date(2026, 6, 1)
LETTER_DATE = date(2026, 6, 15)
HEADER = "IPP;Nom;Prénom;Date de naissance;Adresse;Code postal;Ville"
ROW = "1001;Lefèvre;Hélène;12/03/1980;12 rue de l'Église;75002;Paris"


def rows_of(patient_file, **kwargs):
    return list(patient_file.rows(patient_file.detected_mapping.mapping, today=TODAY, letter_date=LETTER_DATE,
                                  **kwargs))


def open_text(text: str, encoding="utf-8", filename="patients.csv"):
    return open_patient_file(io.BytesIO(text.encode(encoding)), filename)


def refused(data: bytes, filename="patients.csv") -> ImportFileError:
    with pytest.raises(ImportFileError) as caught:
        open_patient_file(io.BytesIO(data), filename)
    return caught.value


# --- Encodings -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("encoding", "detected"), [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", "utf-16"),
])
def test_encodings_are_detected_and_accents_read(encoding, detected):
    patient_file = open_text(f"{HEADER}\r\n{ROW}\r\n", encoding)
    assert patient_file.encoding == detected
    assert patient_file.headers[2] == "Prénom"
    [row] = rows_of(patient_file)
    assert row.patient["last_name"] == "Lefèvre" and row.patient["first_name"] == "Hélène"


def test_cp1252_accent_after_the_first_mebibyte_of_plain_ascii_is_still_detected():
    filler = "".join(f"{n};DURAND;JEAN;12/03/1980;12 RUE X;75002;PARIS\n" for n in range(10, 40_000))
    assert len(filler) > SAMPLE_BYTES
    patient_file = open_text(f"{HEADER}\n{filler}9;Lefèvre;Zoé;12/03/1980;1 rue X;75002;Paris\n", "cp1252")
    assert patient_file.encoding == "cp1252"
    assert rows_of(patient_file)[-1].patient["first_name"] == "Zoé"


def test_a_utf8_error_later_in_the_file_rejects_only_that_row():
    data = (f"{HEADER}\n{ROW}\n").encode() + "1002;Lefèvre;Zoé;12/03/1980;1 rue X;75002;Paris\n".encode("cp1252")
    patient_file = open_patient_file(io.BytesIO(data), "patients.csv")
    assert patient_file.encoding == "utf-8"
    first, second = rows_of(patient_file)
    assert first.accepted
    assert second.errors == [RowError("first_name", "invalid_characters", "Zo\ufffd"),
                             RowError("last_name", "invalid_characters", "Lef\ufffdvre")]


def test_mostly_cp1252_file_rejects_its_utf8_rows_instead_of_printing_mojibake():
    data = (f"{HEADER}\n{ROW}\n{ROW.replace('1001', '1002')}\n").encode("cp1252") + \
        "1003;Lefèvre;Zoé;12/03/1980;1 rue X;75002;Paris\n".encode()
    patient_file = open_patient_file(io.BytesIO(data), "patients.csv")
    assert patient_file.encoding == "cp1252"
    *good, bad = rows_of(patient_file)
    assert all(row.accepted for row in good)
    assert [error.code for error in bad.errors] == ["invalid_characters", "invalid_characters"]
    assert bad.original["Nom"] == "LefÃ¨vre"


def test_utf16_without_byte_order_mark_is_refused():
    error = refused(f"{HEADER}\n{ROW}\n".encode("utf-16-le"))
    assert error.code == "utf16_without_bom"
    assert error.message("en") == "UTF-16 without a byte-order mark: save the file as CSV UTF-8"


def test_neither_utf8_nor_windows_1252_is_refused():
    error = refused(f"{HEADER}\n".encode() + b"1;\x81\x8d\x8f\x90\x9d;x\n")
    assert error.code == "unknown_encoding"
    assert error.message("fr") == "Encodage inconnu : ni UTF-8 ni Windows-1252"


def test_binary_content_named_csv_is_refused():
    assert refused(bytes(range(256)) * 20).code == "binary_file"
    assert refused(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj").code == "binary_file"
    assert refused(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").code == "binary_file"


# --- Separators and quoting ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("separator", [";", ",", "\t"])
def test_separator_is_detected(separator):
    text = f"{HEADER}\n{ROW}\n".replace(";", separator)
    patient_file = open_text(text)
    assert patient_file.separator == separator
    assert rows_of(patient_file)[0].patient["street"] == "12 rue de l'Église"


def test_separators_inside_quotes_do_not_count_on_the_header_line():
    text = 'IPP;"Nom, prénom, autre";"a,b,c,d";Nom;DDN;Adresse;CP;Ville\n1;x;y;DURAND;12/03/1980;1 rue X;75002;PARIS\n'
    patient_file = open_text(text)
    assert patient_file.separator == ";"
    assert rows_of(patient_file)[0].accepted


def test_quoted_fields_keep_separators_and_line_breaks_and_rows_keep_the_file_line_numbers():
    text = (f"{HEADER}\n"
            '1001;DURAND;Jean;12/03/1980;"12, rue de la Paix; escalier B";75002;PARIS\n'
            "\n"
            '1002;"MARTIN";Léa;12/03/1980;"3 allée des Lilas\nBâtiment B";75002;PARIS\n'
            '1003;"Le ""Grand"" DUPONT";Paul;12/03/1980;1 rue X;75002;PARIS\n')
    rows = rows_of(open_text(text))
    assert [row.row_number for row in rows] == [2, 4, 6]
    assert rows[0].patient["street"] == "12, rue de la Paix; escalier B"
    assert rows[0].patient["address_lines"][1] == "12 rue de la Paix escalier B"
    assert rows[1].patient["street"] == "3 allée des Lilas Bâtiment B"
    assert rows[2].patient["last_name"] == 'Le "Grand" DUPONT'


def test_no_separator_on_the_header_line_is_refused():
    assert refused(b"IPP\n1\n").code == "no_separator"


def test_unclosed_quote_that_swallows_the_file_stops_the_import_with_its_line():
    text = f"{HEADER}\n{ROW}\n" + '1002;"DURAND;Jean\n' + "x" * 200_000 + "\n"
    patient_file = open_text(text)
    with pytest.raises(ImportFileError) as caught:
        rows_of(patient_file)
    assert caught.value.code == "malformed_csv" and caught.value.message("en").startswith("Malformed CSV at line 3")


# --- Headers ---------------------------------------------------------------------------------------------------------

def test_empty_and_repeated_headers_get_names_and_trailing_empty_ones_are_dropped():
    patient_file = open_text("IPP;Nom;;Nom;DDN;Adresse;CP;Ville;;\n1;DURAND;a;b;12/03/1980;1 rue X;75002;PARIS;;\n")
    assert patient_file.headers == ("IPP", "Nom", "colonne 3", "Nom (2)", "DDN", "Adresse", "CP", "Ville")
    assert patient_file.detected_mapping.unmapped_headers == ["colonne 3", "Nom (2)"]
    [row] = rows_of(patient_file)
    assert row.accepted and row.patient["last_name"] == "DURAND"


def test_headers_only_gives_no_rows():
    assert rows_of(open_text(f"{HEADER}\n")) == []


def test_no_recognised_column_is_refused_unless_a_saved_mapping_names_them():
    data = b"A;B;C\n1;2;3\n"
    assert refused(data).code == "no_known_columns"
    patient_file = open_patient_file(io.BytesIO(data), "x.csv", saved_mapping={"A": "patient_id"})
    assert patient_file.detected_mapping.mapping == {"A": "patient_id"}


# --- Sources ---------------------------------------------------------------------------------------------------------

def test_a_path_can_be_read_and_rows_read_twice(tmp_path):
    path = tmp_path / "patients.csv"
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    patient_file = open_patient_file(path)
    assert len(rows_of(patient_file)) == 1 and len(rows_of(patient_file)) == 1


def test_the_callers_file_object_is_left_open():
    upload = io.BytesIO(f"{HEADER}\n{ROW}\n".encode())
    patient_file = open_patient_file(upload, "patients.csv")
    rows_of(patient_file)
    assert not upload.closed


# --- XLSX ------------------------------------------------------------------------------------------------------------

def xlsx(rows) -> io.BytesIO:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return data


def test_xlsx_is_read_with_typed_cells_and_sheet_row_numbers():
    data = xlsx([
        ["N° IPP", "Nom", "Prénom", "Date de naissance", "Adresse", "Code postal", "Ville", "Décédé"],
        [1001, "Lefèvre", "Hélène", datetime(1980, 3, 12), "12 rue X", 1000, "Bourg-en-Bresse", False],
        [None, None, None, None, None, None, None, None],
        [1002, "MARTIN", "Léa", "03/04/1975", "1 rue X", 75002.0, "Paris", True],
    ])
    patient_file = open_patient_file(data, "patients.xlsx")
    assert patient_file.kind == "xlsx" and patient_file.encoding is None and patient_file.separator is None
    first, second = rows_of(patient_file)
    assert (first.row_number, second.row_number) == (2, 4)
    assert first.patient["patient_id"] == "1001" and first.patient["birth_date"] == date(1980, 3, 12)
    assert first.patient["postcode"] == "01000" and first.patient["deceased"] is False
    assert second.patient["postcode"] == "75002" and second.patient["deceased"] is True


def test_xlsx_content_is_recognised_whatever_the_file_name():
    data = xlsx([["IPP", "Nom", "DDN", "Adresse", "CP", "Ville"], [1, "X", "12/03/1980", "1 rue X", "75002", "P"]])
    assert open_patient_file(data, "export.bin").kind == "xlsx"


def test_a_zip_that_is_not_a_workbook_is_refused():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("content.xml", "<office:document/>")
    error = refused(data.getvalue(), "patients.ods")
    assert error.code == "unreadable_xlsx"


# --- Not a patient list at all ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("data", "filename", "code"), [
    (b"", "patients.csv", "empty_file"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "patients.xls", "legacy_xls"),
    (b"IPP;Nom\n", "patients.xlsx", "unreadable_xlsx"),
    (b"IPP;Nom\n", "patients.pdf", "unsupported_file_type"),
    (b"\n\n  \n", "patients.csv", "no_separator"),
    (b";;;\n;;\n", "patients.csv", "no_header"),
])
def test_unusable_files_are_refused_with_a_one_line_reason(data, filename, code):
    error = refused(data, filename)
    assert error.code == code
    for lang in ("fr", "en"):
        assert error.message(lang) and "\n" not in error.message(lang)
    assert str(error) == error.message("fr")


def test_every_file_error_has_french_and_english_text():
    from notifier.core.i18n import translate
    from notifier.patients.rules.files import FILE_ERRORS

    assert all(text and translate(text, "en") != text for text in FILE_ERRORS.values())


def test_csv_written_by_the_csv_module_round_trips_every_character_class():
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")
    writer.writerow(["IPP", "Nom", "DDN", "Adresse", "CP", "Ville"])
    writer.writerow(["1", 'D"U;R\nA,N\tD', "12/03/1980", "1 rue X", "75002", "PARIS"])
    [row] = rows_of(open_text(text.getvalue()))
    assert row.patient["last_name"] == 'D"U;R A,N D'
    assert row.patient["normalisations"][0] == Normalisation("last_name", 'D"U;R\nA,N\tD', 'D"U;R A,N D', "whitespace")
