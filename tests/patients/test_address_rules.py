"""NF Z10-011 address blocks: 6 lines (7 abroad), 38 characters, CITY in capitals without accents, no punctuation
from line 4, every change recorded; letters to a legal representative (CSP L.1111-2)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifier.patients.rules.addresses import (
    MAX_LINE_LENGTH,
    Normalisation,
    abbreviate,
    format_address,
    is_france,
    last_line_text,
)

PARIS = {"postcode": "75002", "city": "PARIS"}


def codes(result):
    return [problem.code for problem in result.problems]


def test_full_block_in_norm_order():
    result = format_address(civility="mme", first_name="Hélène", last_name="DURAND", address_line2="Appartement 12",
                            address_line3="Résidence Les Tilleuls", street="12 rue de la Paix",
                            address_line5="Lieu-dit Les Granges", postcode="75002", city="PARIS")
    assert result.lines == ["Madame Hélène DURAND", "Appartement 12", "Résidence Les Tilleuls", "12 rue de la Paix",
                            "Lieu-dit Les Granges", "75002 PARIS"]
    assert result.problems == [] and result.normalisations == []
    assert not result.abroad and result.country == ""


def test_empty_lines_are_left_out():
    result = format_address(last_name="DURAND", street="12 rue de la Paix", **PARIS)
    assert result.lines == ["DURAND", "12 rue de la Paix", "75002 PARIS"]


def test_city_in_capitals_without_accents_or_punctuation_is_recorded():
    result = format_address(last_name="DURAND", street="1 place Jean Jaurès", postcode="42000",
                            city="Saint-Étienne")
    assert result.lines[-1] == "42000 SAINT ETIENNE"
    assert Normalisation("city", "Saint-Étienne", "SAINT ETIENNE", "last_line_format") in result.normalisations


def test_last_name_in_capitals_on_line_one_is_recorded():
    result = format_address(civility="m", first_name="Jean", last_name="Le Goff", street="1 rue X", **PARIS)
    assert result.lines[0] == "Monsieur Jean LE GOFF"
    assert Normalisation("last_name", "Le Goff", "LE GOFF", "upper_case") in result.normalisations


def test_punctuation_removed_from_line_four_but_kept_above():
    result = format_address(last_name="DURAND", address_line2="Esc. B, 3e étage", street="12, rue de l'Église",
                            address_line5="B.P. 42", **PARIS)
    assert result.lines == ["DURAND", "Esc. B, 3e étage", "12 rue de l Église", "B P 42", "75002 PARIS"]
    assert Normalisation("street", "12, rue de l'Église", "12 rue de l Église", "punctuation_removed") in \
        result.normalisations
    assert Normalisation("address_line5", "B.P. 42", "B P 42", "punctuation_removed") in result.normalisations


def test_hyphen_kept_in_street_but_not_on_last_line():
    result = format_address(last_name="X", street="3 avenue Jean-Jaurès", postcode="13100", city="Aix-en-Provence")
    assert result.lines[-2:] == ["3 avenue Jean-Jaurès", "13100 AIX EN PROVENCE"]


def test_four_digit_postcode_gets_its_lost_leading_zero_recorded():
    result = format_address(last_name="X", street="1 rue X", postcode="1000", city="BOURG EN BRESSE")
    assert result.postcode == "01000"
    assert result.lines[-1] == "01000 BOURG EN BRESSE"
    assert Normalisation("postcode", "1000", "01000", "postcode_zero_padded") in result.normalisations


def test_spaces_inside_a_postcode_are_removed_and_recorded():
    result = format_address(last_name="X", street="1 rue X", postcode="75 002", city="PARIS")
    assert result.postcode == "75002"
    assert Normalisation("postcode", "75 002", "75002", "postcode_spaces_removed") in result.normalisations


@pytest.mark.parametrize("postcode", ["750", "750021", "75OO2", "7500A", "７５００２", "²7500"])
def test_french_postcode_must_be_five_digits(postcode):
    result = format_address(last_name="X", street="1 rue X", postcode=postcode, city="PARIS")
    assert codes(result) == ["postcode_format"]


@pytest.mark.parametrize("country", ["", "FR", "France", "FRANCE", "france ", "Guadeloupe", "La Réunion", "Mayotte"])
def test_addresses_in_france_have_no_country_line(country):
    assert is_france(country)
    result = format_address(last_name="X", street="1 rue X", postcode="97100", city="Basse-Terre", country=country)
    assert result.lines[-1] == "97100 BASSE TERRE" and not result.abroad


def test_country_france_written_in_the_file_is_recorded_as_omitted():
    result = format_address(last_name="X", street="1 rue X", country="France", **PARIS)
    assert Normalisation("country", "France", "", "domestic_country_omitted") in result.normalisations


def test_address_abroad_has_its_country_on_line_seven_and_any_postcode():
    result = format_address(last_name="PEETERS", street="Rue de la Loi 16", postcode="B-1000", city="Bruxelles",
                            country="Belgique")
    assert result.abroad and result.problems == []
    assert result.lines == ["PEETERS", "Rue de la Loi 16", "B 1000 BRUXELLES", "BELGIQUE"]
    assert result.country == "BELGIQUE"


def test_missing_parts_of_the_address_are_problems():
    result = format_address(last_name="X", postcode="", city="")
    assert codes(result) == ["street_missing", "postcode_missing", "city_missing"]


def test_a_lieu_dit_or_po_box_replaces_the_street():
    result = format_address(last_name="X", address_line5="BP 42", **PARIS)
    assert result.problems == [] and result.lines == ["X", "BP 42", "75002 PARIS"]


def test_long_street_is_abbreviated_with_la_poste_abbreviations_only_when_needed_and_recorded():
    street = "128 boulevard du Maréchal de Lattre de Tassigny"  # 47 characters
    result = format_address(last_name="X", street=street, **PARIS)
    assert result.lines[1] == "128 BD du MAL de Lattre de Tassigny"
    assert result.normalisations == [Normalisation("street", street, "128 BD du MAL de Lattre de Tassigny",
                                                   "abbreviated")]
    short = format_address(last_name="X", street="128 boulevard Voltaire", **PARIS)
    assert short.lines[1] == "128 boulevard Voltaire" and short.normalisations == []


def test_line_that_cannot_fit_even_abbreviated_is_a_problem():
    street = "12 chemin de la Croix de la Mission Évangélique du Nord"
    result = format_address(last_name="X", street=street, **PARIS)
    assert result.problems[0].code == "line_too_long" and result.problems[0].field == "street"
    assert abbreviate(street) is None


def test_long_city_abbreviates_saint_to_fit():
    result = format_address(last_name="X", street="1 rue X", postcode="33000",
                            city="Sainte-Marie-de-la-Mer-sur-Garonne")
    assert result.lines[-1] == "33000 STE MARIE DE LA MER SUR GARONNE"
    assert result.normalisations[-1] == Normalisation(
        "city", "33000 SAINTE MARIE DE LA MER SUR GARONNE", "33000 STE MARIE DE LA MER SUR GARONNE", "abbreviated")


def test_name_line_shortens_civility_then_first_name_and_records_it():
    result = format_address(civility="mme", first_name="Marie-Thérèse", last_name="de La Tour du Pin Gouvernet",
                            street="1 rue X", **PARIS)
    assert result.lines[0] == "Mme M.-T. DE LA TOUR DU PIN GOUVERNET"
    assert result.normalisations[-1] == Normalisation(
        "last_name", "Madame Marie-Thérèse DE LA TOUR DU PIN GOUVERNET", "Mme M.-T. DE LA TOUR DU PIN GOUVERNET",
        "abbreviated")
    medium = format_address(civility="m", first_name="Jean-Christophe", last_name="DUPONT-MORETTI",
                            street="1 rue X", **PARIS)
    assert medium.lines[0] == "M. Jean-Christophe DUPONT-MORETTI"


def test_letter_to_a_legal_representative_names_the_patient_on_line_two():
    result = format_address(civility="mme", first_name="Léa", last_name="Martin", guardian_name="Mme Sophie MARTIN",
                            street="3 allée des Lilas", **PARIS)
    assert result.lines == ["Mme Sophie MARTIN", "Représentant légal de Léa MARTIN", "3 allée des Lilas",
                            "75002 PARIS"]


def test_representative_line_is_shortened_when_the_patient_name_is_long():
    result = format_address(first_name="Marie-Charlotte", last_name="DUPONT", guardian_name="M. Paul DUPONT",
                            street="1 rue X", **PARIS)
    assert result.lines[1] == "Représentant légal de M.-C. DUPONT"
    assert Normalisation("guardian_name", "Représentant légal de Marie-Charlotte DUPONT",
                         "Représentant légal de M.-C. DUPONT", "abbreviated") in result.normalisations


def test_more_than_six_lines_in_france_is_a_problem_seven_allowed_abroad():
    full = {"address_line2": "Appartement 12", "address_line3": "Bâtiment C", "street": "1 rue X",
            "address_line5": "BP 4"}
    france = format_address(last_name="X", guardian_name="Mme Y", **full, **PARIS)
    assert len(france.lines) == 7 and codes(france) == ["too_many_lines"]
    abroad = format_address(last_name="X", **full, postcode="1000", city="Bruxelles", country="Belgique")
    assert len(abroad.lines) == 7 and abroad.problems == []
    abroad_with_guardian = format_address(last_name="X", guardian_name="Mme Y", **full, postcode="1000",
                                          city="Bruxelles", country="Belgique")
    assert codes(abroad_with_guardian) == ["too_many_lines"]


def test_last_line_text():
    assert last_line_text("L'Île-Rousse") == "L ILE ROUSSE"
    assert last_line_text("Œuilly") == "OEUILLY"


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["civility", "first_name", "address_line2", "address_line3", "street", "address_line5",
                     "country", "guardian_name"]),
    st.text(max_size=60).map(lambda text: " ".join(text.split())),
), st.text(max_size=50).map(lambda text: " ".join(text.split())))
def test_every_line_fits_or_a_problem_says_why(fields, last_name):
    result = format_address(last_name=last_name, postcode="75002", city="PARIS", **fields)
    too_long = [line for line in result.lines if len(line) > MAX_LINE_LENGTH]
    assert not too_long or "line_too_long" in codes(result)
    limit = 7 if result.abroad else 6
    assert len(result.lines) <= limit or "too_many_lines" in codes(result)


def test_representative_line_falls_back_to_the_short_form_when_initials_are_not_enough():
    result = format_address(first_name="Anne", last_name="DE LA TOUR DU PIN", guardian_name="M. Paul DE LA TOUR",
                            street="1 rue X", **PARIS)
    assert result.lines[1] == "Repr. légal de Anne DE LA TOUR DU PIN"
    assert result.normalisations == [Normalisation("guardian_name", "Représentant légal de Anne DE LA TOUR DU PIN",
                                                   "Repr. légal de Anne DE LA TOUR DU PIN", "abbreviated")]
