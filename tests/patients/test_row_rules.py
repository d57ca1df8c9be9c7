"""From the cells of a patient list to a patient ready to write to: column mapping, row checks with their messages,
recorded normalisations, and the letters held for review (CSP L.1111-2, L.1111-5)."""

import csv
import io
from datetime import date

import pytest

from notifier.core.i18n import translate
from notifier.patients.rules.addresses import Normalisation
from notifier.patients.rules.rows import (
    HOLDS,
    NORMALISATIONS,
    ROW_ERRORS,
    ImportFileError,
    RowError,
    describe_error,
    detect_mapping,
    open_patient_file,
    read_date,
)

TODAY = date(2026, 6, 1)
LETTER_DATE = date(2026, 6, 15)
GOOD = {
    "IPP": "1001", "Civilité": "Mme", "Prénom": "Hélène", "Nom": "DURAND", "Date de naissance": "12/03/1980",
    "Complément d'adresse": "", "Bâtiment / Résidence": "", "N° et voie": "12 rue de la Paix", "Lieu-dit / BP": "",
    "Code postal": "75002", "Ville": "PARIS", "Pays": "", "Courriel": "", "Décédé": "", "Représentant légal": "",
    "Segment": "", "Majeur protégé": "", "Soins confidentiels": "",
}


def patient_csv(*rows: dict, headers=tuple(GOOD)) -> io.BytesIO:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.get(header, "") for header in headers])
    return io.BytesIO(text.getvalue().encode("utf-8"))


def import_rows(data: io.BytesIO, *, seen_ids=None, today=TODAY, letter_date=LETTER_DATE, mapping=None):
    patient_file = open_patient_file(data, "patients.csv")
    mapping = patient_file.detected_mapping.mapping if mapping is None else mapping
    return list(patient_file.rows(mapping, today=today, letter_date=letter_date, seen_ids=seen_ids))


COLUMN = dict(zip(["patient_id", "civility", "first_name", "last_name", "birth_date", "address_line2",
                   "address_line3", "street", "address_line5", "postcode", "city", "country", "email", "deceased",
                   "guardian_name", "segment", "protected_adult", "confidential_care"], GOOD, strict=True))


def check(**changes):
    """The one row of a file whose cells are GOOD but for `changes`, keyed by canonical field."""
    row = dict(GOOD)
    for field, value in changes.items():
        row[COLUMN[field]] = value
    [result] = import_rows(patient_csv(row))
    return result


def accepted(**changes):
    result = check(**changes)
    assert result.accepted, result
    return result.patient


def errors_of(**changes):
    result = check(**changes)
    assert not result.accepted, result
    return result.errors


# --- Column mapping --------------------------------------------------------------------------------------------------

def test_usual_french_headers_are_recognised_whatever_their_case_accents_and_punctuation():
    headers = ["N°IPP", "CIVILITE", "prénom", "NOM D'USAGE", "Date de naissance (JJ/MM/AAAA)", "Complément d’adresse",
               "Batiment/Residence", "N° et voie", "Lieu-dit / BP", "code_postal", "Ville / Commune", "Pays",
               "E-mail", "Décédé(e)", "Représentant légal", "Segment", "Majeur protégé", "Soins confidentiels"]
    result = detect_mapping(headers)
    assert list(result.mapping.values()) == [
        "patient_id", "civility", "first_name", "last_name", "birth_date", "address_line2", "address_line3",
        "street", "address_line5", "postcode", "city", "country", "email", "deceased", "guardian_name", "segment",
        "protected_adult", "confidential_care"]
    assert result.unmapped_headers == [] and result.missing_required == []


def test_usual_english_headers_are_recognised():
    result = detect_mapping(["Patient ID", "First name", "Last name", "Date of birth", "Address line 1",
                             "Address line 2", "Postcode", "City", "Country", "Email", "Guardian"])
    assert result.mapping == {
        "Patient ID": "patient_id", "First name": "first_name", "Last name": "last_name",
        "Date of birth": "birth_date", "Address line 1": "street", "Address line 2": "address_line2",
        "Postcode": "postcode", "City": "city", "Country": "country", "Email": "email", "Guardian": "guardian_name"}


def test_usage_name_wins_over_birth_name_which_stays_unmapped():
    result = detect_mapping(["IPP", "Nom de naissance", "Nom d'usage", "DDN", "Adresse", "CP", "Ville", "Sexe"])
    assert result.mapping["Nom d'usage"] == "last_name"
    assert result.unmapped_headers == ["Nom de naissance", "Sexe"]


def test_missing_required_columns_are_listed_and_a_lieu_dit_can_replace_the_street():
    assert detect_mapping(["IPP", "Nom", "Ville"]).missing_required == ["birth_date", "street", "postcode"]
    assert detect_mapping(["IPP", "Nom", "DDN", "Lieu-dit", "CP", "Ville"]).missing_required == []


def test_a_saved_mapping_overrides_detection():
    headers = ["IPP", "NOM_PAT", "Nom", "DDN", "Adresse", "CP", "Ville", "Adresse 2"]
    result = detect_mapping(headers, saved={"NOM_PAT": "last_name", "Adresse 2": "", "Absent": "city",
                                            "Ville": "renamed_field"})
    assert result.mapping["NOM_PAT"] == "last_name" and result.mapping["Ville"] == "city"
    assert "Nom" in result.unmapped_headers and "Adresse 2" in result.unmapped_headers


def test_rows_refuse_a_mapping_without_the_required_columns():
    data = patient_csv(GOOD)
    patient_file = open_patient_file(data, "patients.csv")
    mapping = {header: field for header, field in patient_file.detected_mapping.mapping.items()
               if field not in ("last_name", "postcode")}
    with pytest.raises(ImportFileError) as caught:
        patient_file.rows(mapping, today=TODAY, letter_date=LETTER_DATE)
    assert caught.value.code == "missing_columns"
    assert caught.value.message("fr") == "Colonnes obligatoires absentes : Nom, Code postal"
    assert caught.value.message("en") == "Required columns missing: Nom, Code postal"


def test_rows_refuse_a_mapping_naming_an_unknown_column_or_a_field_twice():
    patient_file = open_patient_file(patient_csv(GOOD), "patients.csv")
    mapping = dict(patient_file.detected_mapping.mapping)
    with pytest.raises(ImportFileError, match="invalid"):
        patient_file.rows({**mapping, "Absente": "segment"}, today=TODAY, letter_date=LETTER_DATE)
    with pytest.raises(ImportFileError) as caught:
        patient_file.rows({**mapping, "Segment": "city"}, today=TODAY, letter_date=LETTER_DATE)
    assert caught.value.code == "invalid_mapping" and "city" in caught.value.message("en")


# --- An accepted row -------------------------------------------------------------------------------------------------

def test_a_good_row_is_ready_to_store():
    patient = accepted()
    assert {key: patient[key] for key in ("patient_id", "civility", "first_name", "last_name", "birth_date",
                                          "postcode", "deceased", "minor", "addressee", "holds")} == {
        "patient_id": "1001", "civility": "mme", "first_name": "Hélène", "last_name": "DURAND",
        "birth_date": date(1980, 3, 12), "postcode": "75002", "deceased": False, "minor": False,
        "addressee": "patient", "holds": []}
    assert patient["address_lines"] == ["Madame Hélène DURAND", "12 rue de la Paix", "75002 PARIS"]
    assert patient["normalisations"] == [Normalisation("civility", "Mme", "mme", "civility_code")]


@pytest.mark.parametrize("text", ["12/03/1980", "12/3/1980", "1980-03-12", "12-03-1980", "12.03.1980",
                                  "1980-03-12 00:00:00"])
def test_accepted_date_forms(text):
    assert read_date(text) == date(1980, 3, 12)


# --- Row errors, each with its message -------------------------------------------------------------------------------

@pytest.mark.parametrize(("changes", "expected"), [
    ({"patient_id": ""}, RowError("patient_id", "patient_id_missing", "")),
    ({"last_name": ""}, RowError("last_name", "last_name_missing", "")),
    ({"birth_date": ""}, RowError("birth_date", "birth_date_missing", "")),
    ({"birth_date": "31/02/1980"}, RowError("birth_date", "date_impossible", "31/02/1980")),
    ({"birth_date": "12/13/1980"}, RowError("birth_date", "date_impossible", "12/13/1980")),
    ({"birth_date": "12/03/80"}, RowError("birth_date", "date_two_digit_year", "12/03/80")),
    ({"birth_date": "12 mars 1980"}, RowError("birth_date", "date_format", "12 mars 1980")),
    ({"birth_date": "02/06/2026"}, RowError("birth_date", "birth_date_future", "02/06/2026")),
    ({"birth_date": "01/01/1880"}, RowError("birth_date", "birth_date_implausible", "01/01/1880")),
    ({"postcode": "750"}, RowError("postcode", "postcode_format", "750")),
    ({"postcode": "7500A", "country": "FR"}, RowError("postcode", "postcode_format", "7500A")),
    ({"postcode": ""}, RowError("postcode", "postcode_missing", "")),
    ({"city": ""}, RowError("city", "city_missing", "")),
    ({"street": ""}, RowError("street", "street_missing", "")),
    ({"deceased": "peut-être"}, RowError("deceased", "yes_no_invalid", "peut-être")),
    ({"confidential_care": "?"}, RowError("confidential_care", "yes_no_invalid", "?")),
    ({"street": "12 chemin de la Croix de la Mission Évangélique du Nord"},
     RowError("street", "line_too_long", "12 chemin de la Croix de la Mission Évangélique du Nord")),
    ({"last_name": "DURAND\ufffd"}, RowError("last_name", "invalid_characters", "DURAND\ufffd")),
    ({"last_name": "DUR\x07AND"}, RowError("last_name", "invalid_characters", "DUR\x07AND")),
])
def test_each_row_error(changes, expected):
    assert errors_of(**changes) == [expected]
    assert describe_error(expected, "fr").startswith(ROW_ERRORS[expected.code])
    assert describe_error(expected, "en").startswith(translate(ROW_ERRORS[expected.code], "en"))


def test_error_message_names_the_field_and_the_value():
    error = RowError("postcode", "postcode_format", "750")
    assert describe_error(error) == "Code postal français invalide : 5 chiffres attendus (Code postal : « 750 »)"
    assert describe_error(error, "en") == 'Invalid French postcode: 5 digits expected (Postcode: "750")'


def test_every_error_is_reported_at_once():
    codes = [error.code for error in errors_of(last_name="", postcode="750", birth_date="31/02/1980")]
    assert codes == ["last_name_missing", "date_impossible", "postcode_format"]


def test_address_that_cannot_fit_six_lines_is_rejected():
    codes = [error.code for error in errors_of(
        address_line2="Appartement 12", address_line3="Bâtiment C", address_line5="BP 4",
        guardian_name="M. Paul DURAND", birth_date="01/01/2015")]
    assert codes == ["too_many_lines"]


def test_duplicate_patient_id_within_the_file_rejects_the_second():
    rows = import_rows(patient_csv(GOOD, {**GOOD, "Prénom": "Paul"}, {**GOOD, "IPP": "1002"}))
    assert [row.accepted for row in rows] == [True, False, True]
    assert rows[1].errors == [RowError("patient_id", "patient_id_duplicate", "1001")]
    assert rows[1].row_number == 3


@pytest.mark.parametrize(("first", "second", "duplicate"), [
    ("0042", "42", False),  # the file's IPPs are kept as ints when all digits: leading zeros still count
    ("0042", "0042", True),
    ("A-42", "A-42", True),  # other IPPs as they are
    ("42", "A42", False),
    ("\u0664\u0662", "42", False),  # Arabic-Indic digits are digits but not ASCII: kept as text, not 42
])
def test_duplicate_patient_ids_are_compared_exactly_as_written(first, second, duplicate):
    rows = import_rows(patient_csv({**GOOD, "IPP": first}, {**GOOD, "IPP": second}))
    assert rows[0].accepted and rows[1].accepted is not duplicate


def test_patient_id_already_imported_is_rejected_and_seen_ids_are_left_alone():
    seen = {"1001"}
    rows = import_rows(patient_csv(GOOD, {**GOOD, "IPP": "1002"}), seen_ids=seen)
    assert rows[0].errors == [RowError("patient_id", "patient_id_already_imported", "1001")]
    assert rows[1].accepted and seen == {"1001"}


def test_more_values_than_columns_is_rejected():
    data = io.BytesIO("IPP;Nom;DDN;Adresse;CP;Ville\n1;DURAND;12/03/1980;12 rue X; bât B;75002;PARIS\n".encode())
    [row] = import_rows(data)
    assert row.errors[0] == RowError("address", "too_many_fields", "PARIS")
    assert row.original["CP"] == " bât B"  # the shifted values are what the user will see and fix


def test_missing_trailing_values_are_empty():
    data = io.BytesIO(b"IPP;Nom;DDN;Adresse;CP;Ville;Segment\n1;DURAND;12/03/1980;12 rue X;75002;PARIS\n")
    [row] = import_rows(data)
    assert row.accepted and row.patient["segment"] == ""


# --- Normalisations are recorded -------------------------------------------------------------------------------------

def test_whitespace_is_collapsed_and_recorded():
    patient = accepted(first_name="  Hélène\u00a0 Marie ", last_name="DURAND\t")
    assert patient["first_name"] == "Hélène Marie"
    assert Normalisation("first_name", "  Hélène\u00a0 Marie ", "Hélène Marie", "whitespace") in \
        patient["normalisations"]
    assert Normalisation("last_name", "DURAND\t", "DURAND", "whitespace") in patient["normalisations"]


@pytest.mark.parametrize(("cell", "code", "printed"), [
    ("M.", "m", "Monsieur"), ("M", "m", "Monsieur"), ("Monsieur", "m", "Monsieur"), ("MONSIEUR", "m", "Monsieur"),
    ("Mr", "m", "Monsieur"), ("Mme", "mme", "Madame"), ("Madame", "mme", "Madame"), ("mme.", "mme", "Madame"),
    ("Mlle", "mme", "Madame"), ("m", "m", "Monsieur"),
])
def test_civility_is_normalised(cell, code, printed):
    patient = accepted(civility=cell)
    assert patient["civility"] == code
    assert patient["address_lines"][0] == f"{printed} Hélène DURAND"
    recorded = [change for change in patient["normalisations"] if change.field == "civility"]
    assert recorded == ([] if cell == code else [Normalisation("civility", cell, code, "civility_code")])


def test_unknown_civility_is_left_out_and_recorded():
    patient = accepted(civility="Dr")
    assert patient["civility"] == "" and patient["address_lines"][0] == "Hélène DURAND"
    assert Normalisation("civility", "Dr", "", "civility_unknown_dropped") in patient["normalisations"]


@pytest.mark.parametrize(("cell", "value"), [
    ("oui", True), ("Oui", True), ("O", True), ("1", True), ("x", True), ("X", True), ("vrai", True),
    ("true", True), ("yes", True), ("non", False), ("N", False), ("0", False), ("faux", False), ("FALSE", False),
    ("no", False), ("", False),
])
def test_yes_no_values(cell, value):
    patient = accepted(protected_adult=cell, guardian_name="UDAF 75" if value else "")
    assert patient["protected_adult"] is value
    recorded = [change for change in patient["normalisations"] if change.field == "protected_adult"]
    shown = "oui" if value else "non"
    assert recorded == ([] if cell in ("", shown) else [Normalisation("protected_adult", cell, shown, "yes_no")])


def test_email_is_lower_cased_and_an_invalid_one_dropped_both_recorded():
    patient = accepted(email="Helene.Durand@Example.FR")
    assert patient["email"] == "helene.durand@example.fr"
    assert Normalisation("email", "Helene.Durand@Example.FR", "helene.durand@example.fr", "email_lower_case") in \
        patient["normalisations"]
    patient = accepted(email="helene.durand@")
    assert patient["email"] == ""
    assert Normalisation("email", "helene.durand@", "", "email_invalid_dropped") in patient["normalisations"]


def test_postcode_that_lost_its_leading_zero_is_padded_and_recorded():
    patient = accepted(postcode="1000", city="Bourg-en-Bresse")
    assert patient["postcode"] == "01000"
    assert patient["address_lines"][-1] == "01000 BOURG EN BRESSE"
    assert Normalisation("postcode", "1000", "01000", "postcode_zero_padded") in patient["normalisations"]
    assert Normalisation("city", "Bourg-en-Bresse", "BOURG EN BRESSE", "last_line_format") in \
        patient["normalisations"]


def test_every_code_has_french_and_english_text():
    """Each code's French msgid has its English translation in the catalog; a hold also names its legal source."""
    labels = [*ROW_ERRORS.values(), *NORMALISATIONS.values(), *(hold.label for hold in HOLDS.values())]
    assert all(label and translate(label, "en") != label for label in labels)
    assert all(hold.source for hold in HOLDS.values())


# --- Who receives the letter, and which letters are held -------------------------------------------------------------

def test_minor_with_a_representative_is_addressed_to_the_representative_and_not_held():
    patient = accepted(first_name="Léa", last_name="MARTIN", birth_date="03/04/2015",
                       guardian_name="Mme Sophie MARTIN")
    assert patient["minor"] and patient["addressee"] == "guardian" and patient["holds"] == []
    assert patient["address_lines"][:2] == ["Mme Sophie MARTIN", "Représentant légal de Léa MARTIN"]


def test_minor_without_representative_is_not_held_and_is_addressed_to_the_parents():
    patient = accepted(first_name="Léa", last_name="Faure", birth_date="03/04/2015")
    assert patient["holds"] == []  # issue 13: the letter goes to the parents rather than waiting for a person
    # CSP L.1111-2: the holders of parental authority, never the child's civility ("Madame" for an 11-year-old).
    assert patient["addressee"] == "guardian"
    assert patient["address_lines"][0] == "Aux parents de Léa FAURE"
    assert not any("Madame" in line or "Mme" in line for line in patient["address_lines"])


def test_minority_is_judged_on_the_letter_date():
    # 18 on 10 June 2026: a minor on the import day, an adult when the letter is sent.
    assert accepted(birth_date="10/06/2008")["minor"] is False
    [row] = import_rows(patient_csv({**GOOD, "Date de naissance": "10/06/2008"}), letter_date=date(2026, 6, 9))
    assert row.patient["minor"] is True and row.patient["address_lines"][0] == "Aux parents de Hélène DURAND"


def test_minor_who_asked_for_secrecy_is_held_and_never_addressed_to_the_parents():
    patient = accepted(first_name="Léa", birth_date="03/04/2010", guardian_name="M. Paul DURAND",
                       confidential_care="oui")
    assert patient["holds"] == ["minor_confidential_care"]
    assert patient["addressee"] == "patient"
    assert "Paul" not in " ".join(patient["address_lines"])


def test_deceased_patient_is_held():
    assert accepted(deceased="oui")["holds"] == ["deceased"]


def test_a_date_of_death_means_deceased_and_is_recorded():
    patient = accepted(deceased="12/03/2021")
    assert patient["deceased"] is True and patient["holds"] == ["deceased"]
    assert Normalisation("deceased", "12/03/2021", "oui", "death_date_means_deceased") in patient["normalisations"]


def test_protected_adult_without_guardian_is_held():
    assert accepted(protected_adult="oui")["holds"] == ["protected_adult_without_guardian"]


def test_protected_adult_with_guardian_is_addressed_to_the_guardian_and_not_held():
    patient = accepted(protected_adult="oui", guardian_name="UDAF de Paris")
    assert patient["holds"] == [] and patient["addressee"] == "guardian"
    assert patient["address_lines"][:2] == ["UDAF de Paris", "Représentant légal de Hélène DURAND"]


def test_adult_with_a_representative_column_but_no_protection_receives_the_letter_herself():
    patient = accepted(guardian_name="M. Paul DURAND")
    assert patient["addressee"] == "patient" and patient["address_lines"][0] == "Madame Hélène DURAND"


def test_address_abroad_is_held():
    patient = accepted(postcode="1000", city="Bruxelles", country="Belgique")
    assert patient["holds"] == ["address_abroad"]
    assert patient["address_lines"][-2:] == ["1000 BRUXELLES", "BELGIQUE"]
    assert patient["postcode"] == "1000"


def test_several_holds_at_once():
    patient = accepted(birth_date="03/04/2015", deceased="oui", country="Suisse", postcode="1201",
                       city="Genève")
    assert patient["holds"] == ["deceased", "address_abroad"]


def test_born_on_29_february_comes_of_age_on_1_march_in_a_common_year():
    leap_baby = {**GOOD, "Date de naissance": "29/02/2008"}
    [on_28th] = import_rows(patient_csv(leap_baby), letter_date=date(2026, 2, 28))
    [on_1st] = import_rows(patient_csv(leap_baby), letter_date=date(2026, 3, 1))
    assert on_28th.patient["minor"] is True and on_1st.patient["minor"] is False
