"""French addresses checked against the official postcode base before a bulk mailing (issue 14, part 1), and long
address lines shortened with the norm's abbreviations before they are rejected (issue 13, point 10). Pure rules:
no app, no database."""

import csv
import gzip
import io
from datetime import date
from pathlib import Path

import pytest

from notifier.core.i18n import translate
from notifier.patients.rules import postcodes
from notifier.patients.rules.addresses import abbreviate, format_address
from notifier.patients.rules.postcodes import Commune, PostcodeBase, city_key, postcode_base
from notifier.patients.rules.rows import open_patient_file

DATA = Path(postcodes.__file__).parent / "data"


@pytest.fixture(scope="module")
def base():
    return postcode_base()


def block(base, postcode, city, street="12 rue de la Paix", **fields):
    return format_address(last_name="DURAND", first_name="Hélène", civility="mme", street=street, postcode=postcode,
                          city=city, postcodes=base, **fields)


# --- The shipped table ----------------------------------------------------------------------------------------------

def test_the_table_names_its_source_version_and_licence_and_ships_the_licence_text(base):
    header = gzip.decompress((DATA / "postcodes.tsv.gz").read_bytes()).decode("utf-8").splitlines()[:3]
    assert header[0].startswith("# source: npm codes-postaux 4.1.2 ")
    assert "tarball sha256 " in header[0] and header[1].startswith("# licence: MIT")
    assert "MIT License" in (DATA / "postcodes.LICENSE").read_text(encoding="utf-8")
    assert base.source.startswith("npm codes-postaux 4.1.2")


def test_the_table_covers_metropolitan_france_corsica_and_the_overseas_departements(base):
    assert len(base) > 6000 and base.rows > 35000
    assert {c.libelle for c in base.communes("20000")} >= {"AJACCIO"}  # Corse-du-Sud
    assert {c.libelle for c in base.communes("20200")} & {"BASTIA"}  # Haute-Corse
    for postcode, libelle in [("97100", "BASSE TERRE"), ("97200", "FORT DE FRANCE"), ("97300", "CAYENNE"),
                              ("97400", "SAINT DENIS"), ("97600", "MAMOUDZOU")]:
        assert libelle in {postcodes.last_line_text(c.libelle) for c in base.communes(postcode)}, postcode


def test_the_base_is_read_once_per_process():
    assert postcode_base() is postcode_base()


# --- The three traps ----------------------------------------------------------------------------------------

def test_a_truncated_7501_paris_is_not_padded_into_a_postcode_that_does_not_exist(base):
    result = block(base, "7501", "PARIS")
    assert result.problems == [] and result.to_verify is not None
    assert result.to_verify.reason == "postcode_truncated"
    assert result.lines[-1] == "7501 PARIS"  # never "07501 PARIS"
    lines = [s.line for s in result.to_verify.suggestions]
    # The Paris codes starting 7501 first.
    assert [line[:5] for line in lines[:10]] == [f"750{n}" for n in range(10, 20)]


def test_7500_paris_is_not_sent_to_guilherand_granges_in_the_ardeche(base):
    result = block(base, "7500", "Paris")
    assert result.to_verify is not None and result.postcode == "7500"
    suggestions = {s.line for s in result.to_verify.suggestions}
    assert "75001 PARIS" in suggestions and "07500 GUILHERAND GRANGES" in suggestions


def test_75011_lyon_is_held_with_the_communes_of_75011_and_the_postcodes_of_lyon(base):
    result = block(base, "75011", "Lyon")
    assert result.to_verify.reason == "city_mismatch"
    suggestions = {s.line for s in result.to_verify.suggestions}
    assert {"75011 PARIS", "69001 LYON", "69009 LYON"} <= suggestions


def test_a_postcode_the_base_does_not_know_is_held(base):
    result = block(base, "75099", "Paris")
    assert result.to_verify.reason == "postcode_unknown"
    assert "75001 PARIS" in {s.line for s in result.to_verify.suggestions}


# --- What agrees, and line 6 as La Poste writes it ------------------------------------------------------------------

@pytest.mark.parametrize(("postcode", "city", "line6"), [
    ("75011", "Paris 11e", "75011 PARIS"),
    ("75011", "PARIS", "75011 PARIS"),
    ("75011", "paris 11ème arrondissement", "75011 PARIS"),
    ("69003", "Lyon 3e", "69003 LYON"),
    ("75008", "paris VIII", "75008 PARIS"),  # Roman numerals, as many files write the arrondissement
    ("75001", "Paris Ier", "75001 PARIS"),
    ("69003", "Lyon IIIe", "69003 LYON"),
    ("13008", "Marseille 8e arrondissement", "13008 MARSEILLE"),
    ("42000", "St-Étienne", "42000 SAINT ETIENNE"),
    ("42000", "saint etienne", "42000 SAINT ETIENNE"),
    ("76600", "Havre (Le)", "76600 LE HAVRE"),
    ("97400", "St Denis", "97400 SAINT DENIS"),
    ("20000", "Ajaccio", "20000 AJACCIO"),
    ("01000", "Bourg-en-Bresse", "01000 BOURG EN BRESSE"),
])
def test_a_city_the_postcode_serves_matches_whatever_its_spelling_and_line_6_is_the_official_libelle(
        base, postcode, city, line6):
    result = block(base, postcode, city)
    assert result.to_verify is None and result.problems == []
    assert result.lines[-1] == line6


def test_an_arrondissement_that_the_postcode_does_not_serve_is_held(base):
    assert block(base, "75011", "Paris 12e").to_verify.reason == "city_mismatch"
    assert block(base, "75012", "Paris XIe").to_verify.reason == "city_mismatch"
    suggestions = [s.line for s in block(base, "75011", "Paris 12e").to_verify.suggestions]
    assert suggestions[:2] == ["75011 PARIS", "75012 PARIS"]  # the typed code's commune, then the 12th's code


def test_the_postcode_typed_again_in_the_city_column_is_not_part_of_the_city(base):
    pasted = block(base, "75011", "75011 Paris")  # the whole line 6 pasted into the city column
    assert pasted.to_verify is None and pasted.lines[-1] == "75011 PARIS"
    assert ("city", "75011 75011 PARIS", "75011 PARIS", "address_corrected") in pasted.normalisations
    assert block(base, "69443", "69443 LYON CEDEX 03").lines[-1] == "69443 LYON CEDEX 03"
    assert block(base, "75011", "69001 Paris").to_verify.reason == "city_mismatch"  # two postcodes: held


def test_a_4_digit_postcode_is_padded_when_the_padded_code_serves_the_city(base):
    result = block(base, "1000", "Bourg-en-Bresse")
    assert result.to_verify is None and result.postcode == "01000"
    assert result.lines[-1] == "01000 BOURG EN BRESSE"
    reasons = {n.reason for n in result.normalisations}
    assert {"postcode_zero_padded", "address_corrected"} <= reasons


def test_a_rewritten_line_6_is_recorded_as_address_corrected_and_a_mere_capitalisation_is_not(base):
    rewritten = block(base, "75011", "Paris 11e")
    assert [n for n in rewritten.normalisations if n.reason == "address_corrected"] == [
        ("city", "75011 PARIS 11E", "75011 PARIS", "address_corrected")]
    assert "address_corrected" not in {n.reason for n in block(base, "75011", "Paris").normalisations}


def test_a_cedex_address_of_a_commune_of_the_postcodes_departement_is_accepted_as_written(base):
    result = block(base, "69443", "LYON CEDEX 03")
    assert result.to_verify is None and result.lines[-1] == "69443 LYON CEDEX 03"
    assert block(base, "69443", "MARSEILLE CEDEX 03").to_verify is not None  # Marseille is not in the Rhône


def test_an_address_abroad_is_not_checked_against_the_french_base(base):
    result = block(base, "1000", "Bruxelles", country="Belgique")
    assert result.to_verify is None and result.abroad and result.lines[-2:] == ["1000 BRUXELLES", "BELGIQUE"]


def test_without_the_base_only_the_form_is_checked_as_before():
    result = format_address(last_name="DURAND", street="1 rue X", postcode="7500", city="Paris")
    assert result.to_verify is None and result.postcode == "07500"


def test_city_keys_ignore_accents_case_hyphens_saint_and_arrondissements():
    assert city_key("St-Étienne") == city_key("SAINT ETIENNE") == city_key("saint-etienne")
    assert city_key("Paris 11e") == ("PARIS", 11, False)
    assert city_key("LYON CEDEX 03") == ("LYON", None, True)
    assert city_key("Fontaine 2").key == "FONTAINE2"  # a number that is no arrondissement is kept
    assert city_key("Paris XIe") == ("PARIS", 11, False) and city_key("Saint-Louis XIV").key == "SAINTLOUISXIV"


def test_a_base_built_from_a_few_rows_works_as_the_shipped_one():
    small = PostcodeBase([Commune("75011", "75111", "Paris 11e Arrondissement", "PARIS"),
                          Commune("07500", "07102", "Guilherand-Granges", "GUILHERAND-GRANGES")])
    assert small.check("75011", "paris").ok
    assert small.check("7500", "Guilherand Granges") == ("ok", "07500", "GUILHERAND GRANGES", "", ())


def test_verify_reasons_and_the_new_normalisation_have_english_text():
    from notifier.patients.rules.rows import HOLDS, NORMALISATIONS

    for text in [*postcodes.VERIFY_REASONS.values(), NORMALISATIONS["address_corrected"],
                 HOLDS["address_to_verify"].label, HOLDS["address_to_verify"].source]:
        assert translate(text, "en") != text


# --- In the importer's rows -----------------------------------------------------------------------------------------

HEADERS = ["IPP", "Nom", "Date de naissance", "N° et voie", "Code postal", "Ville"]


def rows_of(base, *rows):
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";")
    writer.writerow(HEADERS)
    writer.writerows(rows)
    patient_file = open_patient_file(io.BytesIO(text.getvalue().encode("utf-8")), "p.csv")
    mapping = patient_file.detected_mapping.mapping
    return list(patient_file.rows(mapping, today=date(2026, 6, 1), letter_date=date(2026, 6, 1), postcodes=base))


def test_an_address_that_disagrees_with_the_base_is_held_address_to_verify_never_printed_as_is(base):
    good, wrong, truncated = rows_of(base, ["1", "DURAND", "01/01/1970", "1 rue A", "75011", "Paris 11e"],
                                     ["2", "MARTIN", "01/01/1970", "1 rue B", "75011", "Lyon"],
                                     ["3", "PETIT", "01/01/1970", "1 rue C", "7501", "PARIS"])
    assert good.accepted and good.patient["holds"] == [] and good.patient["address_lines"][-1] == "75011 PARIS"
    assert wrong.accepted and wrong.patient["holds"] == ["address_to_verify"]
    assert truncated.accepted and truncated.patient["holds"] == ["address_to_verify"]
    assert truncated.patient["postcode"] == "7501"


# --- Issue 13, point 10: abbreviations before rejection -------------------------------------------------------------

def test_an_address_line_over_38_characters_is_shortened_with_the_norms_abbreviations_before_it_is_rejected(base):
    street = "12 avenue du Boulevard du Maréchal Leclerc Sud"  # 46 characters
    result = block(base, "75011", "Paris", street=street)
    assert result.problems == []
    assert result.lines[1] == "12 AV du BD du Maréchal Leclerc Sud"  # from the left, until it fits
    assert ("street", street, result.lines[1], "abbreviated") in result.normalisations
    assert abbreviate("BOULEVARD DU GENERAL CHARLES DE GAULLE PROLONGE") == "BD DU GAL CHARLES DE GAULLE PROLONGE"


def test_a_line_that_does_not_fit_even_abbreviated_is_rejected(base):
    result = block(base, "75011", "Paris", street="12 rue des Très Longues Rues Sans Abréviation Possible")
    assert [p.code for p in result.problems] == ["line_too_long"]


# --- Corsica and overseas --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("postcode", "city", "line6"), [
    ("20000", "Ajaccio", "20000 AJACCIO"),  # Corse-du-Sud (2A)
    ("20090", "ajaccio", "20090 AJACCIO"),
    ("20200", "Bastia", "20200 BASTIA"),  # Haute-Corse (2B)
    ("20600", "BASTIA", "20600 BASTIA"),
    ("97100", "Basse-Terre", "97100 BASSE TERRE"),  # Guadeloupe
    ("97200", "Fort-de-France", "97200 FORT DE FRANCE"),  # Martinique
    ("97300", "Cayenne", "97300 CAYENNE"),  # Guyane
    ("97400", "Saint-Denis", "97400 SAINT DENIS"),  # La Réunion
    ("97600", "Mamoudzou", "97600 MAMOUDZOU"),  # Mayotte
    ("97500", "Saint-Pierre", "97500 SAINT PIERRE"),  # Saint-Pierre-et-Miquelon: in the base although a COM
])
def test_corsican_and_overseas_departement_addresses_are_checked_like_the_others(base, postcode, city, line6):
    result = block(base, postcode, city)
    assert result.to_verify is None and result.problems == [] and not result.abroad
    assert result.lines[-1] == line6


def test_an_overseas_departement_written_as_the_country_is_a_french_address(base):
    result = block(base, "97400", "St Denis", country="La Réunion")
    assert result.to_verify is None and not result.abroad and result.lines[-1] == "97400 SAINT DENIS"
    assert ("country", "La Réunion", "", "domestic_country_omitted") in result.normalisations


def test_a_corsican_city_under_the_other_corsican_departements_postcode_is_held(base):
    bastia = block(base, "20000", "Bastia")  # 20000 is Ajaccio's (2A), Bastia is in 2B
    assert bastia.to_verify.reason == "city_mismatch"
    lines = [s.line for s in bastia.to_verify.suggestions]
    assert lines[0] == "20000 AJACCIO" and {"20200 BASTIA", "20600 BASTIA"} <= set(lines)
    assert block(base, "20200", "Ajaccio").to_verify.reason == "city_mismatch"


def test_a_corsican_postcode_written_with_its_departement_2a_or_2b_is_rewritten_20_when_the_base_agrees(base):
    ajaccio = block(base, "2A000", "Ajaccio")  # 2A/2B are INSEE's département codes, the postcodes are 20xxx
    assert ajaccio.problems == [] and ajaccio.to_verify is None and ajaccio.lines[-1] == "20000 AJACCIO"
    assert ("postcode", "2A000", "20000", "postcode_corsica") in ajaccio.normalisations
    assert "address_corrected" in {n.reason for n in ajaccio.normalisations}  # line 6 rewritten: counted
    assert block(base, "2b200", "bastia").lines[-1] == "20200 BASTIA"


def test_a_2a_or_2b_postcode_the_base_does_not_confirm_is_rejected_with_a_message_that_says_why(base):
    # 20000 is Ajaccio's, not Bastia's; without the base (check off) nothing confirms the rewrite.
    for result in (block(base, "2A000", "Bastia"), block(None, "2B200", "Bastia")):
        assert [p.code for p in result.problems] == ["postcode_corsica"]
    from notifier.patients.rules.rows import NORMALISATIONS, ROW_ERRORS
    message = translate(ROW_ERRORS["postcode_corsica"], "fr")
    assert "commence par 20" in message and "2A, 2B" in message
    assert translate(ROW_ERRORS["postcode_corsica"], "en").startswith("Corsican postcode written with")
    assert translate(NORMALISATIONS["postcode_corsica"], "en") != NORMALISATIONS["postcode_corsica"]


def test_a_corsican_cedex_address_is_accepted_as_written(base):
    result = block(base, "20090", "AJACCIO CEDEX 9")
    assert result.to_verify is None and result.lines[-1] == "20090 AJACCIO CEDEX 9"


@pytest.mark.parametrize(("postcode", "city"), [
    ("97133", "Saint-Barthélemy"),  # collectivités d'outre-mer with 97 postcodes outside the base
    ("97150", "Saint-Martin"),
    ("98000", "Monaco"),  # Monaco uses the 98 range, and so do the Pacific COM:
    ("98800", "Nouméa"),  # Nouvelle-Calédonie
    ("98714", "Papeete"),  # Polynésie française
    ("98600", "Mata-Utu"),  # Wallis-et-Futuna
])
def test_a_postcode_outside_the_base_without_a_country_is_held_to_verify_never_printed(base, postcode, city):
    result = block(base, postcode, city)
    assert result.to_verify is not None and result.to_verify.reason == "postcode_unknown"
    assert not any(s.postcode == postcode for s in result.to_verify.suggestions)  # nothing of the base fits it


@pytest.mark.parametrize(("postcode", "city", "country"), [
    ("98800", "Nouméa", "Nouvelle-Calédonie"),
    ("98000", "Monaco", "Monaco"),
    ("97133", "Saint-Barthélemy", "Saint-Barthélemy"),
])
def test_the_same_address_with_its_country_is_abroad_and_not_checked(base, postcode, city, country):
    result = block(base, postcode, city, country=country)
    assert result.to_verify is None and result.abroad and result.problems == []
