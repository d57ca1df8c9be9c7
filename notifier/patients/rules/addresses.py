"""Postal address blocks for paper letters, after the French norm NF Z10-011 (La Poste).

NF Z10-011: at most 6 lines (7 abroad), at most 38 characters per line including spaces;
line 1 civility and name, 2 complement of the recipient (apartment, c/o), 3 building, 4 number and street,
5 lieu-dit or BP, 6 postcode and CITY in capitals without accents, 7 COUNTRY when abroad; no punctuation from
line 4 on. Empty lines are left out.

Every change made to the text of a field is returned as a `Normalisation`, never made silently, so that the Data
Protection Officer can see what was printed instead of what the file said. Called once per patient (750,000 at a
time): the costly bits (accents, city lines) are cached and the common case takes the fast path.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

from notifier.core.i18n import N_

MAX_LINE_LENGTH = 38  # NF Z10-011, characters per line including spaces
MAX_LINES_FRANCE = 6  # NF Z10-011
MAX_LINES_ABROAD = 7  # NF Z10-011: the 7th line is the country


class Normalisation(NamedTuple):
    """One change from the file's text to what is stored or printed."""

    field: str
    old: str
    new: str
    reason: str


class FieldProblem(NamedTuple):
    """Why a value cannot be used: a code of `ADDRESS_PROBLEMS` (or of the importer's `ROW_ERRORS`)."""

    field: str
    code: str
    value: str


class AddressResult(NamedTuple):
    lines: list[str]
    problems: list[FieldProblem]
    normalisations: list[Normalisation]
    postcode: str  # as printed: a French postcode is 5 digits
    city: str  # as printed on the last line
    country: str  # as printed on line 7; empty for France
    abroad: bool
    # The official base's verdict when postcode and city disagree (rules.postcodes.PostcodeCheck), else None: the
    # importer then holds the letter (Hold.ADDRESS_TO_VERIFY) instead of printing the address as it is.
    to_verify: object = None


ADDRESS_PROBLEMS: dict[str, str] = {
    "postcode_missing": N_("Code postal manquant"),
    "postcode_format": N_("Code postal français invalide : 5 chiffres attendus"),
    "postcode_corsica": N_("Code postal corse écrit avec le numéro de département (2A, 2B)\u00a0: un code postal "
                           "de Corse commence par 20 (20000 Ajaccio, 20200 Bastia)"),
    "city_missing": N_("Ville manquante"),
    "street_missing": N_("Adresse manquante : numéro et voie, ou lieu-dit / BP"),
    "line_too_long": N_("Ligne d'adresse de plus de 38 caractères, même abrégée (NF Z10-011)"),
    "too_many_lines": N_("Adresse de plus de 6 lignes (7 à l'étranger) (NF Z10-011)"),
}

ADDRESS_NORMALISATIONS: dict[str, str] = {
    "upper_case": N_("Nom en majuscules (NF Z10-011, ligne 1)"),
    "last_line_format": N_("Majuscules sans accents ni ponctuation sur la dernière ligne (NF Z10-011)"),
    "country_format": N_("Pays en majuscules sans accents ni ponctuation (NF Z10-011, ligne 7)"),
    "domestic_country_omitted": N_("Pays non imprimé : adresse en France (NF Z10-011)"),
    "punctuation_removed": N_("Ponctuation supprimée à partir de la ligne 4 (NF Z10-011)"),
    "postcode_spaces_removed": N_("Espaces retirés du code postal"),
    "postcode_zero_padded": N_("Zéro initial rétabli : code postal à 4 chiffres, zéro perdu par le tableur "
                               "(départements 01 à 09)"),
    "postcode_corsica": N_("Code postal corse\u00a0: 2A ou 2B (le département) remplacé par 20, code postal qui "
                           "dessert la ville d'après la base officielle"),
    "abbreviated": N_("Abrégé pour tenir en 38 caractères (abréviations La Poste, NF Z10-011)"),
    "address_corrected": N_("Ligne 6 réécrite d'après la base officielle des codes postaux\u00a0: code postal et "
                            "libellé d'acheminement"),
    "complement_lines": N_("Appartement en ligne 2, bâtiment en ligne 3 (NF Z10-011)"),
    "minor_no_civility": N_("Patient mineur\u00a0: sans civilité, courrier aux titulaires de l'autorité parentale "
                            "(CSP L.1111-2)"),
}

CIVILITY_LONG = {"m": "Monsieur", "mme": "Madame"}
# The salutation that opens a letter, by the reader's civility; None: a reader whose civility is unknown.
SALUTATIONS = {
    "fr": {"mme": "Madame,", "m": "Monsieur,", None: "Madame, Monsieur,"},
    "en": {"mme": "Dear Madam,", "m": "Dear Sir,", None: "Dear Sir or Madam,"},
}
CIVILITY_SHORT = {"m": "M.", "mme": "Mme"}  # used only when the long form does not fit line 1

# Line 2 when the letter goes to a legal representative (CSP L.1111-2: information of a minor is given to the
# holders of parental authority, of a protected adult to the guardian): the representative on line 1, the patient
# on line 2, so that the person who opens the letter knows on whose behalf they receive it.
REPRESENTATIVE_LINE_FORMS = ("Représentant légal de {name}", "Repr. légal de {name}")
# Line 1 of a minor's letter when no representative is named: the holders of parental authority (CSP L.1111-2; code
# civil art. 371-1), at the child's address, never the child's civility ("Madame" for an 11-year-old).
PARENTS_LINE_FORMS = ("Aux parents de {name}",)
# The same line in an English letter (the address block is stored in French at import): "To the parents of Léa
# FAURE", or "Parents of Léa FAURE" when the longer form would pass 38 characters.
PARENTS_LINE_FORMS_EN = ("To the parents of {name}", "Parents of {name}")
_PARENTS_PREFIX = PARENTS_LINE_FORMS[0].split("{name}")[0]
# The representative's line 2 in an English letter, the long form when it fits.
REPRESENTATIVE_LINE_FORMS_EN = ("Legal representative of {name}", "Legal repr. of {name}")
_REPRESENTATIVE_PREFIXES = tuple(form.split("{name}")[0] for form in REPRESENTATIVE_LINE_FORMS)

# NF Z10-011: line 2 holds what identifies the recipient inside the building (apartment, floor, staircase, "chez"),
# line 3 what identifies the building (bâtiment, immeuble, résidence, entrée, tour). "Bât. B, appt 12" typed on one
# line is split between them.
_BUILDING_PART = re.compile(r"^(b[âa]t\b|b[âa]timent|imm\b|imm\.|immeuble|r[ée]s\b|r[ée]s\.|r[ée]sidence|"
                            r"entr[ée]e|tour|bloc|hall|villa)", re.IGNORECASE)
_RECIPIENT_PART = re.compile(r"^(app?t\b|app?t\.|appartement|apt\b|apt\.|[ée]tage|esc\b|esc\.|escalier|porte|"
                             r"chez|c/o|bo[îi]te|bal\b|logement|log\b|log\.|ch(ambre)?\b)", re.IGNORECASE)
_PART_SEPARATOR = re.compile(r"\s*(?:,|;|\s-\s|/(?=\s))\s*")
# A building and a door typed without a separator ("Bât. B appt 12", "Appt 12 bât. B"): the part is cut before the
# second word of the other kind. Only words that are never part of a name ("porte", "tour", "étage" may be).
_INNER_CUT = re.compile(r"\s+(?=(?:app?t\b|app?t\.|appartement\b|apt\b|apt\.|esc\b|esc\.|escalier\b|"
                        r"b[âa]t\b|b[âa]t\.|b[âa]timent\b|imm\.|immeuble\b)\s*\S)", re.IGNORECASE)

# Lieu-dit / BP and the street have no punctuation (NF Z10-011); hyphens and slashes stay (Jean-Jaurès, 12/14).
_STREET_PUNCTUATION = re.compile(r"[,.;:!?\"'’`«»()\[\]{}*_]")
# The last lines also lose hyphens and apostrophes, as La Poste writes them (SAINT ETIENNE, L ILE ROUSSE).
_LAST_LINE_PUNCTUATION = re.compile(r"[,.;:!?\"'’`«»()\[\]{}*_\-/\\]")


def _build_unaccent_table() -> dict[int, str]:
    table = {}
    for code in range(0xC0, 0x250):
        char = chr(code)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        if base != char and base.isascii() and base:
            table[code] = base
    table.update({ord("Œ"): "OE", ord("œ"): "oe", ord("Æ"): "AE", ord("æ"): "ae", ord("Ø"): "O", ord("ø"): "o",
                  ord("Đ"): "D", ord("đ"): "d", ord("Ł"): "L", ord("ł"): "l", ord("ß"): "ss"})
    return table


_UNACCENT = _build_unaccent_table()


def without_accents(text: str) -> str:
    """Latin letters without their accents (é -> e, Œ -> OE); other scripts are left as they are."""
    if text.isascii():
        return text
    plain = text.translate(_UNACCENT)
    if plain.isascii():
        return plain
    return "".join(c for c in unicodedata.normalize("NFKD", plain) if not unicodedata.combining(c))


def _collapse(text: str) -> str:
    return " ".join(text.split())


def last_line_text(text: str) -> str:
    """NF Z10-011 last lines (postcode + CITY, COUNTRY): capitals, no accents, no punctuation."""
    return _collapse(_LAST_LINE_PUNCTUATION.sub(" ", without_accents(text).upper()))


def street_text(text: str) -> str:
    """NF Z10-011 lines 4 and 5: no punctuation; letter case and accents are kept."""
    if _STREET_PUNCTUATION.search(text) is None:
        return text
    return _collapse(_STREET_PUNCTUATION.sub(" ", text))


# Countries whose mail is domestic from France: metropolitan France and the overseas départements (their
# postcodes are French, 971-976), written without a country line (La Poste). Keys are `_country_key` forms.
FRANCE_NAMES = frozenset({
    "", "fr", "fra", "france", "francemetropolitaine", "republiquefrancaise", "guadeloupe", "martinique", "guyane",
    "guyanefrancaise", "reunion", "lareunion", "mayotte",
})


def _country_key(text: str) -> str:
    return "".join(ch for ch in without_accents(text).lower() if ch.isalnum())


_country_cache: dict[str, bool] = {}


def is_france(country: str) -> bool:
    """True when the country cell means a French address (empty, FR, France, an overseas département)."""
    known = _country_cache.get(country)
    if known is None:
        known = _country_key(country) in FRANCE_NAMES
        if len(_country_cache) < 10_000:
            _country_cache[country] = known
    return known


# Abbreviations of La Poste's list for NF Z10-011 address lines (types of way, titles, building words), used only
# when a line would not fit in 38 characters. Keys are upper case without accents.
ABBREVIATIONS: dict[str, str] = {
    "ALLEE": "ALL", "AVENUE": "AV", "BOULEVARD": "BD", "CARREFOUR": "CAR", "CHEMIN": "CHE", "CHAUSSEE": "CHS",
    "CORNICHE": "COR", "COURS": "CRS", "DOMAINE": "DOM", "DESCENTE": "DSC", "ESPLANADE": "ESP", "FAUBOURG": "FG",
    "HAMEAU": "HAM", "IMPASSE": "IMP", "LOTISSEMENT": "LOT", "MONTEE": "MTE", "PASSAGE": "PAS", "PLACE": "PL",
    "PLATEAU": "PLT", "PROMENADE": "PRO", "PARVIS": "PRV", "QUARTIER": "QUA", "RESIDENCE": "RES", "RUELLE": "RLE",
    "ROUTE": "RTE", "SENTIER": "SEN", "SQUARE": "SQ", "TRAVERSE": "TRA", "VILLA": "VLA", "VILLAGE": "VLGE",
    "ROND POINT": "RPT", "ROND-POINT": "RPT", "GRANDE RUE": "GR", "LIEU DIT": "LD", "LIEU-DIT": "LD",
    "ZONE INDUSTRIELLE": "ZI", "ZONE ARTISANALE": "ZA", "BOITE POSTALE": "BP",
    "SAINT": "ST", "SAINTE": "STE", "DOCTEUR": "DR", "GENERAL": "GAL", "MARECHAL": "MAL", "PRESIDENT": "PDT",
    "PROFESSEUR": "PR", "APPARTEMENT": "APP", "BATIMENT": "BAT", "ESCALIER": "ESC", "ETAGE": "ETG",
    "IMMEUBLE": "IMM", "ENTREE": "ENT",
}


def abbreviate(text: str, limit: int = MAX_LINE_LENGTH) -> str | None:
    """The line with La Poste abbreviations applied from left to right until it fits, or None if it never does."""
    words = text.split(" ")
    i = 0
    while i < len(words) and len(" ".join(words)) > limit:
        pair = without_accents(" ".join(words[i:i + 2])).upper() if i + 1 < len(words) else None
        if pair in ABBREVIATIONS:
            words[i:i + 2] = [ABBREVIATIONS[pair]]
        else:
            short = ABBREVIATIONS.get(without_accents(words[i]).upper())
            if short:
                words[i] = short
        i += 1
    shortened = " ".join(words)
    return shortened if len(shortened) <= limit else None


def _initials(first_name: str) -> str:
    """Jean-Pierre -> J.-P., Marie Claire -> M. C."""
    return " ".join("-".join(part[:1] + "." for part in word.split("-") if part) for word in first_name.split())


def _fit(field: str, text: str, problems: list, normalisations: list) -> str:
    """The line as is, or abbreviated (and recorded) when longer than 38 characters, or a problem."""
    if len(text) <= MAX_LINE_LENGTH:
        return text
    short = abbreviate(text)
    if short is None:
        problems.append(FieldProblem(field, "line_too_long", text))
        return text
    normalisations.append(Normalisation(field, text, short, "abbreviated"))
    return short


def _name_line(civility: str, first_name: str, last_name: str, field: str, problems, normalisations) -> str:
    """Line 1: civility, first name, LAST NAME; shortened civility then initials only when it does not fit."""
    tail = f"{first_name} {last_name}" if first_name else last_name
    long_civility = CIVILITY_LONG.get(civility)
    line = f"{long_civility} {tail}" if long_civility else tail
    if len(line) <= MAX_LINE_LENGTH:
        return line
    candidates = []
    if long_civility:
        candidates.append(f"{CIVILITY_SHORT[civility]} {tail}")
    if first_name:
        short_tail = f"{_initials(first_name)} {last_name}"
        candidates.append(f"{CIVILITY_SHORT[civility]} {short_tail}" if long_civility else short_tail)
    for candidate in candidates:
        if len(candidate) <= MAX_LINE_LENGTH:
            normalisations.append(Normalisation(field, line, candidate, "abbreviated"))
            return candidate
    problems.append(FieldProblem(field, "line_too_long", line))
    return line


def _minor_line(first_name: str, last_name: str, to_parents: bool, civility: str, problems, normalisations) -> str:
    """Line 1 of a minor's letter: "Aux parents de Léa FAURE", or "Léa FAURE" (no civility) when it must reach the
    minor alone (CSP L.1111-5); recorded as a normalisation when the file gave a civility."""
    name = f"{first_name} {last_name}" if first_name else last_name
    names = [name, f"{_initials(first_name)} {last_name}", last_name] if first_name else [name]
    forms = PARENTS_LINE_FORMS if to_parents else ("{name}",)
    wanted = forms[0].format(name=name)
    line = None
    for form in forms:
        for candidate_name in names:
            candidate = form.format(name=candidate_name)
            if len(candidate) <= MAX_LINE_LENGTH:
                line = candidate
                break
        if line:
            break
    if line is None:
        problems.append(FieldProblem("last_name", "line_too_long", wanted))
        return wanted
    if civility in CIVILITY_LONG or to_parents:
        with_civility = f"{CIVILITY_LONG[civility]} {name}" if civility in CIVILITY_LONG else name
        normalisations.append(Normalisation("last_name", with_civility, line, "minor_no_civility"))
    elif line != wanted:
        normalisations.append(Normalisation("last_name", wanted, line, "abbreviated"))
    return line


def _representative_line(first_name: str, last_name: str, problems, normalisations) -> str:
    name = f"{first_name} {last_name}" if first_name else last_name
    names = [name, f"{_initials(first_name)} {last_name}"] if first_name else [name]
    wanted = REPRESENTATIVE_LINE_FORMS[0].format(name=name)
    for form in REPRESENTATIVE_LINE_FORMS:
        for candidate_name in names:
            candidate = form.format(name=candidate_name)
            if len(candidate) <= MAX_LINE_LENGTH:
                if candidate != wanted:
                    normalisations.append(Normalisation("guardian_name", wanted, candidate, "abbreviated"))
                return candidate
    problems.append(FieldProblem("guardian_name", "line_too_long", wanted))
    return wanted


def _complement_parts(text: str) -> list[str]:
    parts = []
    for part in _PART_SEPARATOR.split(text):
        if not part:
            continue
        pieces = _INNER_CUT.split(part) if _BUILDING_PART.match(part) or _RECIPIENT_PART.match(part) else [part]
        parts.extend(piece for piece in pieces if piece)
    return parts


def complement_lines(line2: str, line3: str) -> tuple[str, str]:
    """Lines 2 and 3 as NF Z10-011 places them: the parts naming a building go to line 3, the parts naming the
    recipient's door (apartment, floor, staircase, c/o) to line 2; a part of neither kind stays where it was typed.
    ("Bât. B, appt 12", "") -> ("appt 12", "Bât. B")."""
    if not line2 and not line3:
        return line2, line3
    parts2, parts3 = _complement_parts(line2), _complement_parts(line3)
    moving_down = [part for part in parts2 if _BUILDING_PART.match(part)]
    moving_up = [part for part in parts3 if _RECIPIENT_PART.match(part) and not _BUILDING_PART.match(part)]
    if not moving_down and not moving_up:
        return line2, line3
    new2 = [part for part in parts2 if part not in moving_down] + moving_up
    new3 = moving_down + [part for part in parts3 if part not in moving_up]
    return ", ".join(new2), ", ".join(new3)


def _delivery_line(field: str, value: str, lines: list, problems: list, normalisations: list) -> str:
    """Lines 4 and 5: no punctuation (NF Z10-011)."""
    printed = street_text(value)
    if printed != value:
        normalisations.append(Normalisation(field, value, printed, "punctuation_removed"))
    if printed:
        lines.append(printed if len(printed) <= MAX_LINE_LENGTH else _fit(field, printed, problems, normalisations))
    return printed


_city_cache: dict[str, str] = {}


def _last_line(value: str) -> str:
    printed = _city_cache.get(value)
    if printed is None:
        printed = last_line_text(value)
        if len(_city_cache) < 200_000:  # communes and their spellings: a bounded set in practice
            _city_cache[value] = printed
    return printed


def address_lines_in(lines: Sequence[str], lang: str) -> tuple[str, ...]:
    """A stored address block (written in French at import) as a letter in ``lang`` prints it: in English, a
    minor's "Aux parents de Léa FAURE" becomes "To the parents of Léa FAURE" (CSP L.1111-2: the holders of parental
    authority, never the child's civility), and a representative's line 2 "Représentant légal de Léa FAURE" becomes
    "Legal representative of Léa FAURE". The other lines are names and places: unchanged."""
    lines = tuple(lines)
    if lang != "en" or not lines:
        return lines
    return tuple(_line_in_english(line) if index < 2 else line for index, line in enumerate(lines))


def _line_in_english(line: str) -> str:
    """Line 1 "Aux parents de …" or line 2 "Représentant légal de …" in English; any other line as it is."""
    if line.startswith(_PARENTS_PREFIX):
        forms, name = PARENTS_LINE_FORMS_EN, line[len(_PARENTS_PREFIX):]
    else:
        prefix = next((prefix for prefix in _REPRESENTATIVE_PREFIXES if line.startswith(prefix)), None)
        if prefix is None:
            return line
        forms, name = REPRESENTATIVE_LINE_FORMS_EN, line[len(prefix):]
    candidates = [form.format(name=name) for form in forms]
    return next((candidate for candidate in candidates if len(candidate) <= MAX_LINE_LENGTH), candidates[-1])


def salutation(civility: str | None, lang: str = "fr", *, known_reader: bool = True, minor: bool = False) -> str:
    """The letter's salutation from the civility. A letter to a legal representative (CSP L.1111-2) or to a deceased
    patient's heirs (CSP L.1110-4 V) does not know its reader's civility: "Madame, Monsieur,". A minor's letter never
    uses the child's civility: it goes to the holders of parental authority (CSP L.1111-2)."""
    table = SALUTATIONS.get(lang, SALUTATIONS["fr"])
    if not known_reader or minor:
        return table[None]
    return table.get((civility or "").strip().lower() or None, table[None])


_last_lines_cache: dict[tuple, tuple] = {}


def _last_lines(postcode: str, city: str, country: str, postcodes) -> tuple:
    """Line 6 (postcode and city, checked against `postcodes`) and line 7 (the country) with their problems and
    normalisations: a function of these four values only, so format_address caches it (a 750,000-row file repeats a
    few thousand (postcode, city, country) triples). Problems and normalisations are tuples, shared by the rows."""
    key = (postcode, city, country, postcodes)
    problems: list[FieldProblem] = []
    normalisations: list[Normalisation] = []
    lines: list[str] = []
    abroad = not is_france(country)
    checked = to_verify = None
    if " " in postcode:
        compact = postcode.replace(" ", "")
        normalisations.append(Normalisation("postcode", postcode, compact, "postcode_spaces_removed"))
        postcode = compact
    typed_postcode = postcode
    if not abroad and len(postcode) == 5 and postcode[:2] in ("2A", "2B", "2a", "2b") and postcode[2:].isdigit():
        # Corsica's départements are 2A and 2B (INSEE, since 1976), its postcodes 20xxx (La Poste): "2A000
        # Ajaccio" is 20000, written so only when the base says 20000 serves the city (as for a lost 0).
        corsican = "20" + postcode[2:]
        if postcodes is not None and city and postcodes.check(corsican, city).ok:
            normalisations.append(Normalisation("postcode", postcode, corsican, "postcode_corsica"))
            postcode = corsican
        else:
            problems.append(FieldProblem("postcode", "postcode_corsica", postcode))
    if abroad:
        printed_postcode = last_line_text(postcode)
        if printed_postcode != postcode:
            normalisations.append(Normalisation("postcode", postcode, printed_postcode, "last_line_format"))
    else:
        printed_postcode = postcode
        digits = postcode.isdigit() and postcode.isascii()
        if postcodes is not None and digits and len(postcode) in (4, 5) and city:
            checked = postcodes.check(postcode, city)
        if checked is not None and not checked.ok:
            to_verify = checked  # held with the base's suggestions; nothing is guessed (a 4-digit code stays as is)
        elif len(postcode) == 4 and digits and (checked is None or checked.postcode != postcode):
            printed_postcode = "0" + postcode
            normalisations.append(Normalisation("postcode", postcode, printed_postcode, "postcode_zero_padded"))
        if not postcode:
            problems.append(FieldProblem("postcode", "postcode_missing", ""))
        elif to_verify is None and not problems and not (len(printed_postcode) == 5 and digits):
            problems.append(FieldProblem("postcode", "postcode_format", postcode))
    printed_city = _last_line(city)
    if printed_city != city:
        normalisations.append(Normalisation("city", city, printed_city, "last_line_format"))
    if not printed_city:
        problems.append(FieldProblem("city", "city_missing", city))
    if checked is not None and checked.ok and (checked.city != printed_city or checked.postcode != typed_postcode):
        # La Poste's RNVP: line 6 is the postcode and the official libellé d'acheminement ("Paris 11e" -> PARIS,
        # "St-Étienne" -> SAINT ETIENNE, "1000" -> 01000 when 01000 serves the city), not the file's spelling.
        normalisations.append(Normalisation("city", f"{typed_postcode} {printed_city}",
                                            f"{checked.postcode} {checked.city}", "address_corrected"))
        printed_city = checked.city
    last = f"{printed_postcode} {printed_city}" if printed_postcode else printed_city
    lines.append(last if len(last) <= MAX_LINE_LENGTH else _fit("city", last, problems, normalisations))

    printed_country = ""
    if abroad:
        printed_country = _last_line(country)
        if printed_country != country:
            normalisations.append(Normalisation("country", country, printed_country, "country_format"))
        lines.append(_fit("country", printed_country, problems, normalisations))
    elif country:
        normalisations.append(Normalisation("country", country, "", "domestic_country_omitted"))

    found = (tuple(lines), tuple(problems), tuple(normalisations), printed_postcode, printed_city, printed_country,
             abroad, to_verify)
    if len(_last_lines_cache) < 200_000:  # the distinct (postcode, city, country) of a file: bounded in practice
        _last_lines_cache[key] = found
    return found


def format_address(*, last_name: str, postcode: str, city: str, civility: str = "", first_name: str = "",
                   address_line2: str = "", address_line3: str = "", street: str = "", address_line5: str = "",
                   country: str = "", guardian_name: str = "", postcodes=None, minor: bool = False,
                   to_parents: bool = False) -> AddressResult:
    """The NF Z10-011 address block of one letter.

    `civility` is a code ("m", "mme" or ""). Values are expected whitespace-collapsed (the importer does it).
    When `guardian_name` is given (a minor or a protected adult with a legal representative, CSP L.1111-2), the
    letter goes to the representative: line 1 is the representative as written in the file, line 2
    "Représentant légal de <first name> <LAST NAME>", then the address, which must be the representative's.

    `postcodes` (a rules.postcodes.PostcodeBase, or None to check the form only): a French postcode and city are
    checked against the official base; line 6 is then the postcode and the base's libellé d'acheminement, a 4-digit
    postcode is padded only when the padded code serves the city, and a disagreement sets `to_verify`.
    A `minor` without a representative is never given the child's civility: with `to_parents` line 1 is "Aux parents
    de <first name> <LAST NAME>" (the holders of parental authority, at the child's address), else the name alone.
    Lines 2 and 3 are placed as the norm says (`complement_lines`): apartment on line 2, building on line 3.
    """
    problems: list[FieldProblem] = []
    normalisations: list[Normalisation] = []
    lines: list[str] = []

    upper_name = last_name.upper()
    if upper_name != last_name:
        normalisations.append(Normalisation("last_name", last_name, upper_name, "upper_case"))
    if guardian_name:
        lines.append(_fit("guardian_name", guardian_name, problems, normalisations))
        lines.append(_representative_line(first_name, upper_name, problems, normalisations))
    elif minor:
        lines.append(_minor_line(first_name, upper_name, to_parents, civility, problems, normalisations))
    else:
        lines.append(_name_line(civility, first_name, upper_name, "last_name", problems, normalisations))
    if address_line2 or address_line3:
        placed2, placed3 = complement_lines(address_line2, address_line3)
        if (placed2, placed3) != (address_line2, address_line3):
            if placed2 != address_line2:
                normalisations.append(Normalisation("address_line2", address_line2, placed2, "complement_lines"))
            if placed3 != address_line3:
                normalisations.append(Normalisation("address_line3", address_line3, placed3, "complement_lines"))
        address_line2, address_line3 = placed2, placed3
    if address_line2:
        lines.append(_fit("address_line2", address_line2, problems, normalisations))
    if address_line3:
        lines.append(_fit("address_line3", address_line3, problems, normalisations))
    printed_street = _delivery_line("street", street, lines, problems, normalisations) if street else ""
    printed_line5 = _delivery_line("address_line5", address_line5, lines, problems, normalisations) \
        if address_line5 else ""
    if not printed_street and not printed_line5:
        problems.append(FieldProblem("street", "street_missing", street or address_line5))

    found = _last_lines_cache.get((postcode, city, country, postcodes))
    if found is None:
        found = _last_lines(postcode, city, country, postcodes)
    tail_lines, tail_problems, tail_normalisations, printed_postcode, printed_city, printed_country, abroad, \
        to_verify = found
    lines.extend(tail_lines)
    if tail_problems:
        problems.extend(tail_problems)
    if tail_normalisations:
        normalisations.extend(tail_normalisations)

    if len(lines) > (MAX_LINES_ABROAD if abroad else MAX_LINES_FRANCE):
        problems.append(FieldProblem("address", "too_many_lines", " / ".join(lines)))
    return AddressResult(lines, problems, normalisations, printed_postcode, printed_city, printed_country, abroad,
                         to_verify)
