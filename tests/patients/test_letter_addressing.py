"""Issue 13 point 9: NF Z10-011 puts the apartment on line 2 and the building on line 3 ("Bât. B, appt 12" typed on
one line is split); a minor's letter goes to the holders of parental authority or the guardian and never uses the
child's civility."""

from notifier.patients.rules.addresses import (
    Normalisation,
    address_lines_in,
    complement_lines,
    format_address,
    salutation,
)
from notifier.patients.services import salutation as stored_salutation


def address(**changes):
    values = {"civility": "mme", "first_name": "Hélène", "last_name": "DURAND", "street": "12 rue de la Paix",
              "postcode": "69003", "city": "LYON", **changes}
    return format_address(**values)


def test_building_and_apartment_typed_on_line_2_are_split():
    result = address(address_line2="Bât. B, appt 12")
    assert result.lines == ["Madame Hélène DURAND", "appt 12", "Bât. B", "12 rue de la Paix", "69003 LYON"]
    assert Normalisation("address_line2", "Bât. B, appt 12", "appt 12", "complement_lines") in result.normalisations
    assert Normalisation("address_line3", "", "Bât. B", "complement_lines") in result.normalisations


def test_a_building_alone_on_line_2_goes_to_line_3_and_an_apartment_on_line_3_comes_up():
    assert complement_lines("Résidence Les Pins", "") == ("", "Résidence Les Pins")
    assert complement_lines("Bâtiment C", "Appartement 4") == ("Appartement 4", "Bâtiment C")
    assert complement_lines("Chez M. Roux", "Escalier 2, Bât A") == ("Chez M. Roux, Escalier 2", "Bât A")


def test_a_building_and_an_apartment_typed_without_a_comma_are_split_too():
    """NF Z10-011: "Bât. B appt 12" as typed in a hospital file (no comma) puts the apartment on line 2, the building
    on line 3, whichever comes first; a residence named "Porte de France" is not cut."""
    assert complement_lines("Bât. B appt 12", "") == ("appt 12", "Bât. B")
    assert complement_lines("APPT 12 BAT B", "") == ("APPT 12", "BAT B")
    assert complement_lines("Résidence Porte de France", "") == ("", "Résidence Porte de France")
    assert address(address_line2="Bât. B appt 12").lines[1:3] == ["appt 12", "Bât. B"]


def test_lines_already_in_place_are_left_alone():
    assert complement_lines("Appt 12, 3e étage", "Bât. B") == ("Appt 12, 3e étage", "Bât. B")
    result = address(address_line2="Appt 12", address_line3="Bât. B")
    assert result.lines[1:3] == ["Appt 12", "Bât. B"] and not result.normalisations


def test_a_minor_without_representative_is_written_to_the_parents_without_civility():
    result = address(civility="mme", first_name="Léa", last_name="FAURE", minor=True, to_parents=True)
    assert result.lines[0] == "Aux parents de Léa FAURE"
    assert Normalisation("last_name", "Madame Léa FAURE", "Aux parents de Léa FAURE",
                         "minor_no_civility") in result.normalisations


def test_a_minor_who_must_be_written_to_alone_gets_no_civility():
    assert address(civility="mme", first_name="Léa", last_name="FAURE", minor=True).lines[0] == "Léa FAURE"


def test_a_long_name_of_a_minor_keeps_the_parents_line_within_38_characters():
    result = address(first_name="Marie-Charlotte", last_name="DE LA TOUR DU PIN", minor=True, to_parents=True)
    assert result.lines[0] == "Aux parents de M.-C. DE LA TOUR DU PIN" and len(result.lines[0]) <= 38


def test_a_minors_salutation_never_uses_the_childs_civility():
    assert salutation("mme", "fr", minor=True) == "Madame, Monsieur,"
    assert salutation("mme", "en", minor=True) == "Dear Sir or Madam,"
    assert stored_salutation("mme", "patient", False, minor=True) == "Madame, Monsieur,"
    assert stored_salutation("mme", "patient", False) == "Madame,"


def test_an_english_letter_writes_the_parents_line_in_english():
    lines = address(first_name="Léa", last_name="FAURE", minor=True, to_parents=True).lines
    assert address_lines_in(lines, "en") == ("To the parents of Léa FAURE", *lines[1:])
    assert address_lines_in(lines, "fr") == tuple(lines)


def test_the_english_parents_line_keeps_within_38_characters():
    lines = address(first_name="Marie-Charlotte", last_name="DE LA TOUR DU PIN", minor=True, to_parents=True).lines
    first = address_lines_in(lines, "en")[0]
    assert first == "Parents of M.-C. DE LA TOUR DU PIN" and len(first) <= 38


def test_other_address_blocks_are_the_same_in_english():
    for lines in (["Madame Hélène DURAND", "12 rue de la Paix", "69003 LYON"],
                  ["Mme Sophie MARTIN", "Bât. B", "3 rue X", "69003 LYON"], []):
        assert address_lines_in(lines, "en") == tuple(lines)


def test_the_english_letter_of_a_minor_goes_to_the_parents_in_english_without_the_childs_civility():
    from types import SimpleNamespace

    from notifier.letters.services import letter_fields

    patient = SimpleNamespace(patient_id="1001", postcode="69003", civility="mme", deceased=False, minor=True,
                              address_lines=["Aux parents de Léa FAURE", "12 RUE DE LA PAIX", "69003 LYON"],
                              salutation="Madame, Monsieur,")
    english = letter_fields("VIO-2026-0001", 1, patient, lang="en", audience="representatives")
    assert english.address_lines == ("To the parents of Léa FAURE", "12 RUE DE LA PAIX", "69003 LYON")
    assert english.salutation == "Dear Sir or Madam,"
    french = letter_fields("VIO-2026-0001", 1, patient, lang="fr", audience="representatives")
    assert french.address_lines[0] == "Aux parents de Léa FAURE" and french.salutation == "Madame, Monsieur,"


def test_an_english_letter_to_a_representative_names_them_in_english():
    lines = address(first_name="Léa", last_name="FAURE", minor=True, guardian_name="Marc FAURE").lines
    assert lines[1] == "Représentant légal de Léa FAURE"
    english = address_lines_in(lines, "en")
    assert english[1] == "Legal representative of Léa FAURE" and english[0] == lines[0]
    assert address_lines_in(lines, "fr") == tuple(lines)
