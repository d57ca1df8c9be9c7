"""Importing the affected patients: from the cells of a CSV/XLSX file to patients ready to store and to write to.

    patient_file = open_patient_file(upload, "patients.csv", saved_mapping=...)   # ImportFileError if unusable
    patient_file.headers, patient_file.detected_mapping                           # shown for the user to confirm
    for row in patient_file.rows(mapping, today=..., letter_date=..., seen_ids=already_imported):
        row.accepted -> row.patient (dict ready to store) | row.original + row.errors (rejected)
    write_rejected_csv(out, patient_file.headers, rejected_rows)                  # to fix and import again

Each accepted patient carries its NF Z10-011 address block (`address_lines`), every change made to the file's text
(`normalisations`), and the reasons its letter is held for a person to review instead of mailed (`holds`).
Rules and choices are in docs/patient-import.md. No Flask import: the service, the CLI and the tests use it.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date
from itertools import starmap
from operator import itemgetter
from typing import IO, NamedTuple

from notifier.core.i18n import N_, translate
from notifier.core.spreadsheet import FORMULA_TRIGGERS, safe_cell
from notifier.patients.rules.addresses import (
    ADDRESS_NORMALISATIONS,
    ADDRESS_PROBLEMS,
    FieldProblem,
    Normalisation,
    format_address,
    without_accents,
)
from notifier.patients.rules.files import (
    MAX_COLUMNS,
    FileFormat,
    ImportFileError,
    Source,
    XlsxLimits,
    inspect_file,
    iter_records,
)
from notifier.patients.states import Addressee, Hold

__all__ = [
    "FIELDS", "HOLDS", "Hold", "HoldReason", "NORMALISATIONS", "REQUIRED_FIELDS", "ROW_ERRORS", "AcceptedRow",
    "ImportFileError",
    "MappingResult", "Normalisation", "PatientFile", "RejectedRow", "RowError", "describe_error",
    "detect_mapping", "open_patient_file", "read_date", "write_rejected_csv", "check_values", "error_codes",
    "fields_of",
]

RowError = FieldProblem  # (field, code, value): code is a key of ROW_ERRORS

# Canonical fields, in the order of the NF Z10-011 block where they belong to it.
FIELDS: dict[str, str] = {
    "patient_id": N_("IPP (identifiant patient)"),
    "civility": N_("Civilité"),
    "first_name": N_("Prénom"),
    "last_name": N_("Nom"),
    "birth_date": N_("Date de naissance"),
    "address_line2": N_("Complément d'adresse (ligne 2)"),
    "address_line3": N_("Bâtiment, résidence (ligne 3)"),
    "street": N_("Numéro et voie (ligne 4)"),
    "address_line5": N_("Lieu-dit, BP (ligne 5)"),
    "postcode": N_("Code postal"),
    "city": N_("Ville"),
    "country": N_("Pays"),
    "email": N_("Courriel"),
    "deceased": N_("Décédé"),
    "guardian_name": N_("Représentant légal"),
    "segment": N_("Segment"),
    "protected_adult": N_("Majeur protégé"),
    "confidential_care": N_("Soins confidentiels (CSP L.1111-5)"),
}
_ROW_FIELDS = tuple(FIELDS)
_ERROR_FIELDS = {**FIELDS, "address": N_("Adresse")}  # errors about the block or the row as a whole

# Without these columns no letter can be addressed. The birth date is required because whether the patient is a
# minor decides who receives the letter (CSP L.1111-2, L.1111-5). "street" stands for "street or address_line5":
# NF Z10-011 accepts a lieu-dit or a BP instead of a street.
REQUIRED_FIELDS = ("patient_id", "last_name", "birth_date", "street", "postcode", "city")

# Usual headers of hospital exports and spreadsheets, French and English; compared by `header_key` (case, accents,
# spaces, punctuation, parentheses and small words ignored). When several headers of a file mean the same field,
# the one listed first wins (the usage name before the birth name) and the others are left unmapped.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "patient_id": ("IPP", "N° IPP", "No IPP", "Num IPP", "Numéro IPP", "Identifiant permanent du patient",
                   "PatientID", "Patient ID", "Identifiant patient", "Numéro patient", "N° patient", "NIP", "ID"),
    "civility": ("Civilité", "Civ", "Civility", "Titre", "Title", "Salutation"),
    "first_name": ("Prénom", "Prénoms", "Prénom usuel", "First name", "Firstname", "Given name", "Forename"),
    "last_name": ("Nom d'usage", "Nom usuel", "Nom utilisé", "Nom marital", "Nom", "Nom de famille", "Last name",
                  "Lastname", "Surname", "Family name", "Name", "Nom de naissance", "Nom de jeune fille",
                  "Birth name"),
    "birth_date": ("Date de naissance", "DDN", "Né le", "Née le", "Né(e) le", "Naissance", "Birth date",
                   "Birthdate", "Date of birth", "DOB"),
    "address_line2": ("Complément d'adresse", "Complément adresse", "Complément", "Adresse complément", "Adresse 2",
                      "Adresse ligne 2", "Ligne 2", "L2", "Appartement", "Address line 2", "Address 2"),
    "address_line3": ("Bâtiment / Résidence", "Bâtiment", "Résidence", "Immeuble", "Entrée bâtiment",
                      "Adresse ligne 3", "Ligne 3", "L3", "Building"),
    "street": ("N° et voie", "No et voie", "Numéro et voie", "Numéro et libellé de voie", "N° et libellé de voie",
               "Adresse", "Voie", "Rue", "Adresse 1", "Adresse ligne 1", "Adresse ligne 4", "Ligne 4", "L4",
               "Street", "Street address", "Address", "Address line 1", "Address 1"),
    "address_line5": ("Lieu-dit / BP", "Lieu-dit", "Lieudit", "BP", "Boîte postale", "Lieu-dit ou boîte postale",
                      "Mention spéciale de distribution", "Adresse ligne 5", "Ligne 5", "L5", "PO box"),
    "postcode": ("Code postal", "CP", "C.P.", "Code post", "Postcode", "Postal code", "Zip", "Zip code", "Zipcode"),
    "city": ("Ville", "Commune", "Localité", "Bureau distributeur", "Libellé commune", "Ville / Commune", "City",
             "Town"),
    "country": ("Pays", "Country", "Code pays", "Pays de résidence"),
    "email": ("Courriel", "Email", "E-mail", "Mail", "Adresse mail", "Adresse email", "Adresse e-mail",
              "Adresse électronique", "Mél"),
    "deceased": ("Décédé", "Décédé(e)", "Décédée", "Décès", "Date de décès", "Deceased", "Dead", "Date of death"),
    "guardian_name": ("Représentant légal", "Représentante légale", "Représentants légaux", "Responsable légal",
                      "Nom du représentant légal", "Titulaire de l'autorité parentale", "Tuteur", "Tutrice",
                      "Tuteur / Curateur", "Curateur", "Legal representative", "Legal guardian", "Guardian"),
    "segment": ("Segment", "Groupe", "Group", "Catégorie", "Category"),
    "protected_adult": ("Majeur protégé", "Majeure protégée", "Mesure de protection", "Sous tutelle", "Tutelle",
                        "Protected adult"),
    "confidential_care": ("Soins confidentiels", "Secret des soins", "Confidentiel", "Secret", "Secret parents",
                          "L.1111-5", "Confidential care", "Confidential"),
}

_PARENTHESES = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
_SMALL_WORDS = frozenset({"du", "de", "des", "d", "la", "le", "les", "l", "patient", "patiente", "the", "of"})


def header_key(header: str) -> str:
    """'N° IPP' -> 'nipp', 'Date de naissance (JJ/MM/AAAA)' -> 'datenaissance', 'DateNaissance' -> same."""
    text = without_accents(_PARENTHESES.sub(" ", header) if "(" in header or "[" in header else header).lower()
    words = [word for word in _NOT_ALNUM.split(text) if word and word not in _SMALL_WORDS]
    if not words:  # "(IPP)" alone, or a header made only of small words: keep what there is
        words = [word for word in _NOT_ALNUM.split(without_accents(header).lower()) if word]
    return "".join(words)


def _alias_index() -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for field, aliases in HEADER_ALIASES.items():
        for rank, alias in enumerate(aliases):
            key = header_key(alias)
            if index.get(key, (field,))[0] != field:
                raise ValueError(f"header alias {alias!r} means both {index[key][0]} and {field}")
            index.setdefault(key, (field, -rank))
    return index


_ALIASES = _alias_index()


class MappingResult(NamedTuple):
    mapping: dict[str, str]  # header of the file -> canonical field
    unmapped_headers: list[str]
    missing_required: list[str]  # canonical fields of REQUIRED_FIELDS that no column gives


def missing_fields(mapping: dict[str, str]) -> list[str]:
    given = set(mapping.values())
    if "address_line5" in given:
        given.add("street")  # a lieu-dit or BP can replace the street (NF Z10-011)
    return [field for field in REQUIRED_FIELDS if field not in given]


def detect_mapping(headers: Iterable[str], saved: dict[str, str] | None = None) -> MappingResult:
    """Recognise the columns from their headers. A saved mapping (the user's earlier choice for this kind of file)
    overrides detection for the headers it names; a saved empty value means "ignore this column"."""
    headers = list(headers)
    known = set(headers)
    saved = {header: field for header, field in (saved or {}).items()
             if header in known and (not field or field in FIELDS)}  # a stale saved choice is ignored
    best: dict[str, tuple[int, str]] = {}
    for header in headers:
        if header in saved:
            continue
        hit = _ALIASES.get(header_key(header))
        if hit and (hit[0] not in best or hit[1] > best[hit[0]][0]):
            best[hit[0]] = (hit[1], header)
    # One header per field: a saved choice replaces the detected header of its field.
    header_of = {field: header for field, (_rank, header) in best.items()}
    header_of.update({field: header for header, field in saved.items() if field})
    chosen = {header: field for field, header in header_of.items()}
    mapping = {header: chosen[header] for header in headers if header in chosen}
    unmapped = [header for header in headers if header not in mapping]
    return MappingResult(mapping, unmapped, missing_fields(mapping))


def check_mapping(headers: Iterable[str], mapping: dict[str, str]) -> dict[str, str]:
    """The mapping without its ignored columns; ImportFileError if it names an unknown header or field, gives a
    field twice or misses a required one."""
    headers = set(headers)
    used = {header: field for header, field in mapping.items() if field}
    unknown = [repr(header) for header in used if header not in headers]
    unknown += [repr(field) for field in used.values() if field not in _ROW_FIELDS]
    uses = Counter(used.values())
    twice = sorted(field for field, count in uses.items() if count > 1)
    if unknown or twice:
        raise ImportFileError("invalid_mapping", ", ".join(unknown + twice))
    missing = missing_fields(used)
    if missing:
        raise ImportFileError("missing_columns", ", ".join(FIELDS[field] for field in missing))
    return used


# --- What can be wrong with a row, what is changed, why a letter is held --------------------------------------------

ROW_ERRORS: dict[str, str] = {
    "patient_id_missing": N_("IPP manquant"),
    "patient_id_duplicate": N_("IPP en double dans le fichier"),
    "patient_id_already_imported": N_("IPP déjà importé pour cette violation"),
    "last_name_missing": N_("Nom manquant"),
    "birth_date_missing": N_("Date de naissance manquante : elle décide si le courrier va au patient ou à son "
                             "représentant légal"),
    "date_format": N_("Date illisible : JJ/MM/AAAA ou AAAA-MM-JJ attendu"),
    "date_two_digit_year": N_("Année sur deux chiffres refusée (19xx ou 20xx ?) : JJ/MM/AAAA attendu"),
    "date_impossible": N_("Date impossible : ce jour n'existe pas"),
    "birth_date_future": N_("Date de naissance dans le futur"),
    "birth_date_implausible": N_("Date de naissance antérieure à 1890"),
    "yes_no_invalid": N_("Valeur oui/non illisible : oui, non, O, N, 1, 0, x, vrai, faux attendu"),
    "invalid_characters": N_("Caractères illisibles : encodage du fichier ou caractère de contrôle"),
    "too_many_fields": N_("Plus de valeurs que de colonnes : séparateur dans une valeur sans guillemets ?"),
    **ADDRESS_PROBLEMS,
}

NORMALISATIONS: dict[str, str] = {
    "whitespace": N_("Espaces superflus ou invisibles supprimés"),
    "formula_guard_removed": N_("Apostrophe de protection contre les formules retirée (fichier des rejets réimporté)"),
    "civility_code": N_("Civilité reconnue"),
    "civility_unknown_dropped": N_("Civilité non reconnue : omise sur le courrier"),
    "yes_no": N_("Valeur oui/non interprétée"),
    "death_date_means_deceased": N_("Date de décès : patient décédé"),
    "email_lower_case": N_("Courriel en minuscules"),
    "email_invalid_dropped": N_("Courriel invalide : non conservé"),
    **ADDRESS_NORMALISATIONS,
}

# A held letter waits for a person's decision instead of being mailed: its label and the rule behind it, both
# French msgids of the catalog, shown with translate(); the code stays in exports and JSON.
class HoldReason(NamedTuple):
    label: str
    source: str


HOLDS: dict[str, HoldReason] = {
    "minor_without_representative": HoldReason(
        N_("Patient mineur à la date du courrier, sans représentant légal connu"),
        N_("CSP L.1111-2\u00a0; code civil art. 371-1 (autorité parentale)")),
    "minor_confidential_care": HoldReason(
        N_("Mineur ayant demandé le secret de ses soins envers ses parents\u00a0: ne jamais écrire aux parents "
           "automatiquement"),
        N_("CSP L.1111-5")),
    "deceased": HoldReason(
        N_("Patient décédé\u00a0: courrier aux ayants droit ou mise en attente, jamais au défunt"),
        N_("CSP L.1110-4 V (ayants droit)")),
    "protected_adult_without_guardian": HoldReason(
        N_("Majeur protégé sans tuteur ni curateur connu"),
        N_("CSP L.1111-2\u00a0; code civil art. 425 et suivants")),
    "address_abroad": HoldReason(
        N_("Adresse à l'étranger\u00a0: format et affranchissement à vérifier, hors lots de courrier en nombre"),
        N_("NF Z10-011 (7e ligne\u00a0: pays)\u00a0; La Poste, courrier international")),
    "address_to_verify": HoldReason(
        N_("Adresse à vérifier\u00a0: code postal et ville ne concordent pas avec la base officielle des codes "
           "postaux"),
        N_("NF Z10-011 (ligne 6\u00a0: code postal et libellé d'acheminement)\u00a0; base des codes postaux (BAN, "
           "INSEE)")),
}


def describe_error(error: RowError, lang: str = "fr") -> str:
    """'Code postal français invalide : 5 chiffres attendus (Code postal : « 7500 »)'."""
    problem = translate(ROW_ERRORS[error.code], lang)
    if not error.value:
        return problem
    return translate(N_("%(problem)s (%(field)s\u00a0: «\u00a0%(value)s\u00a0»)"), lang, problem=problem,
                     field=translate(_ERROR_FIELDS[error.field], lang), value=error.value)


class AcceptedRow(NamedTuple):
    row_number: int
    patient: dict  # canonical fields + minor, addressee, address_lines, normalisations, holds
    accepted = True


class RejectedRow(NamedTuple):
    row_number: int
    original: dict[str, str]  # the cells as read, keyed by the file's headers, for the rejected-rows file
    errors: list[RowError]
    accepted = False

    def messages(self, lang: str = "fr") -> list[str]:
        return [describe_error(error, lang) for error in self.errors]


RowResult = AcceptedRow | RejectedRow


# --- Reading values --------------------------------------------------------------------------------------------------

_DAY_FIRST = re.compile(r"([0-9]{1,2})[/.-]([0-9]{1,2})[/.-]([0-9]{4})")
_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00)?)?")  # 2nd form: XLSX/SQL exports
_SHORT_YEAR = re.compile(r"[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2}")
OLDEST_BIRTH_DATE = date(1890, 1, 1)


def read_date(text: str) -> date | str:
    """DD/MM/YYYY, D/M/YYYY (or with - or .) and YYYY-MM-DD; otherwise the code of a ROW_ERRORS entry.
    Two-digit years are refused rather than guessed: 01/02/24 could be 1924 or 2024."""
    match = _DAY_FIRST.fullmatch(text)
    if match:
        day, month, year = match.groups()
    else:
        match = _ISO.fullmatch(text)
        if not match:
            return "date_two_digit_year" if _SHORT_YEAR.fullmatch(text) else "date_format"
        year, month, day = match.groups()
    try:
        return date(int(year), int(month), int(day))
    except ValueError:
        return "date_impossible"


_date_cache: dict[str, date | str] = {}


def _cached_date(text: str) -> date | str:
    found = _date_cache.get(text)
    if found is None:
        found = read_date(text)
        if len(_date_cache) < 100_000:  # about 36,500 birthdays a century: the cache fills with real dates
            _date_cache[text] = found
    return found


def _with_spellings(words: dict[str, object]) -> dict[str, object]:
    """Each word as typed in lower case, upper case and capitalised, for a lookup without lower() per cell."""
    table = {}
    for word, value in words.items():
        for spelling in (word, word.upper(), word.capitalize(), word.title()):
            table[spelling] = value
    return table


# "Mademoiselle" is no longer used by the administration (circulaire du Premier ministre du 21 février 2012).
_CIVILITY_WORDS = {"m": "m", "m.": "m", "mr": "m", "mr.": "m", "monsieur": "m", "mme": "mme", "mme.": "mme",
                   "madame": "mme", "mlle": "mme", "mlle.": "mme", "melle": "mme", "mademoiselle": "mme",
                   "mrs": "mme", "mrs.": "mme", "ms": "mme", "ms.": "mme", "miss": "mme"}
_CIVILITIES = _with_spellings(_CIVILITY_WORDS)
_YES_NO_WORDS = {"oui": True, "o": True, "1": True, "x": True, "vrai": True, "true": True, "yes": True, "y": True,
                 "non": False, "n": False, "0": False, "faux": False, "false": False, "no": False}
_YES_NO = _with_spellings(_YES_NO_WORDS)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")

# UTF-8 read as Windows-1252 ("HÃ©lÃ¨ne", "lâ€™Ã‰glise"): part of a file saved twice, or a mixed file.
_MOJIBAKE = (r"Ã[\u00a0-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e"
             r"\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]|Â[\u00a0-\u00bf]|â€|â‚¬")
# Characters that need the careful, slower cleaning: tabs, line breaks, no-break and zero-width spaces, control
# characters, U+FFFD (undecodable bytes).
_SPECIAL = re.compile(r"[\x00-\x1d\x1f\x7f-\xa0\u1680\u2000-\u200f\u2028-\u202f\u205f\u2060\u3000\ufeff\ufffd]")
_JOIN = "\x1e"  # the cells of a row are checked at once, joined by a character that _SPECIAL finds in a cell


def _needs_cleaning(joined: str, joins: int) -> bool:
    """True when some cell has leading, trailing or repeated spaces, a special character, a formula-guard
    apostrophe or possible mojibake. Substring tests first: this runs on every row."""
    return ("  " in joined or "\x1e " in joined or " \x1e" in joined or "\x1e'" in joined
            or joined[:1] in N_(" ") or joined[-1:] == " " or "Ã" in joined or "Â" in joined or "â€" in joined
            or joined.count(_JOIN) != joins or _SPECIAL.search(joined) is not None)


_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_UNREADABLE = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x9f\ufffd]|" + _MOJIBAKE)


def _years_before(day: date, years: int) -> date:
    """The same day `years` earlier; 29 February becomes the 28th (the person is still a minor on that day)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


MAJORITY_AGE = 18  # code civil art. 414


def _id_key(patient_id: str) -> int | str:
    """The form an IPP takes in the set of the file's IPPs: an all-digit IPP as an int ("1" in front, so that
    "0042" and "42" stay two IPPs), about 30 bytes instead of 57 for its string (23 MiB less at 750,000 rows);
    any other IPP as it is (an int never equals a str)."""
    if patient_id.isdigit() and patient_id.isascii() and len(patient_id) < 18:
        return int("1" + patient_id)
    return patient_id


class _RowChecker:
    """Checks the rows of one import: the mapping is resolved once into a tuple getter."""

    def __init__(self, headers: tuple[str, ...], mapping: dict[str, str], *, today: date, letter_date: date,
                 seen_ids: set[str] | None, postcodes=None):
        mapping = check_mapping(headers, mapping)
        self.headers = headers
        self.width = len(headers)
        index = {header: number for number, header in enumerate(headers)}
        position = {field: index[header] for header, field in mapping.items()}
        # An unmapped field reads the empty cell appended after the last column.
        self.pick = itemgetter(*(position.get(field, self.width) for field in _ROW_FIELDS))
        self.today = today
        self.majority_cutoff = _years_before(letter_date, MAJORITY_AGE)  # born after it: a minor on letter_date
        self.previous_ids = seen_ids if seen_ids is not None else frozenset()
        self.file_ids: set[int | str] = set()  # _id_key of the IPPs accepted so far
        self.postcodes = postcodes  # rules.postcodes.PostcodeBase, or None: form checks only

    def check(self, row_number: int, cells: list[str]) -> RowResult:
        errors: list[RowError] = []
        changes: list[Normalisation] = []
        width = self.width
        if len(cells) != width:
            if len(cells) > width:
                extra = [cell for cell in cells[width:] if cell.strip()]
                if extra:
                    errors.append(RowError("address", "too_many_fields", " | ".join(extra)))
                del cells[width:]
            else:
                cells.extend([""] * (width - len(cells)))
        cells.append("")
        values = self.pick(cells)
        if _needs_cleaning(_JOIN.join(values), len(values) - 1):
            values = _clean(values, errors, changes)
        (patient_id, civility, first_name, last_name, birth, line2, line3, street, line5, postcode, city, country,
         email, deceased, guardian, segment, protected, confidential) = values

        if not patient_id:
            errors.append(RowError("patient_id", "patient_id_missing", ""))
        elif patient_id in self.previous_ids:
            errors.append(RowError("patient_id", "patient_id_already_imported", patient_id))
        elif (key := _id_key(patient_id)) in self.file_ids:
            errors.append(RowError("patient_id", "patient_id_duplicate", patient_id))
        else:
            self.file_ids.add(key)
        if not last_name:
            errors.append(RowError("last_name", "last_name_missing", ""))

        if civility:
            code = _CIVILITIES.get(civility) or _CIVILITIES.get(without_accents(civility).lower().replace(" ", ""))
            if code is None:
                changes.append(Normalisation("civility", civility, "", "civility_unknown_dropped"))
                code = ""
            elif code != civility:
                changes.append(Normalisation("civility", civility, code, "civility_code"))
            civility = code

        born = None
        if not birth:
            errors.append(RowError("birth_date", "birth_date_missing", ""))
        else:
            found = _date_cache.get(birth) or _cached_date(birth)
            if type(found) is str:
                errors.append(RowError("birth_date", found, birth))
            elif found > self.today:
                errors.append(RowError("birth_date", "birth_date_future", birth))
            elif found < OLDEST_BIRTH_DATE:
                errors.append(RowError("birth_date", "birth_date_implausible", birth))
            else:
                born = found

        is_deceased = _yes_no("deceased", deceased, errors, changes, self.today) if deceased else False
        is_protected = _yes_no("protected_adult", protected, errors, changes) if protected else False
        is_confidential = _yes_no("confidential_care", confidential, errors, changes) if confidential else False

        if email:
            lower = email.lower()
            if _EMAIL.fullmatch(lower) is None:
                changes.append(Normalisation("email", email, "", "email_invalid_dropped"))
                lower = ""
            elif lower != email:
                changes.append(Normalisation("email", email, lower, "email_lower_case"))
            email = lower

        # CSP L.1111-2: a minor's letter goes to the holders of parental authority (the representative
        # named, or "Aux parents de ..."), a protected adult's to the guardian; CSP L.1111-5: never to the
        # parents when the minor asked for secrecy (then it is held, addressed to the minor, so that releasing
        # it without thought cannot reach the parents).
        minor = born is not None and born > self.majority_cutoff
        holds = []
        representative = ""
        if is_deceased:
            holds.append(Hold.DECEASED)
        if minor:
            if is_confidential:
                holds.append(Hold.MINOR_CONFIDENTIAL_CARE)
            elif guardian:
                representative = guardian
            # Without a named representative the letter is not held: it goes "Aux parents de <first name> <LAST
            # NAME>" (the holders of parental authority, CSP L.1111-2; code civil art. 371-1) at the child's
            # address, never with the child's civility (issue 13). Hold.MINOR_WITHOUT_REPRESENTATIVE stays for
            # the records held before.
        elif is_protected:
            if guardian:
                representative = guardian
            else:
                holds.append(Hold.PROTECTED_ADULT_WITHOUT_GUARDIAN)

        address = format_address(
            civility=civility, first_name=first_name, last_name=last_name, address_line2=line2,
            address_line3=line3, street=street, address_line5=line5, postcode=postcode, city=city, country=country,
            guardian_name=representative, postcodes=self.postcodes,
            minor=minor and not representative,
            # CSP L.1111-2: without a named representative, the holders of parental authority at the child's
            # address; never the parents when the minor asked for secrecy (L.1111-5).
            to_parents=minor and not representative and not is_confidential,
        )
        if address.problems:
            errors.extend(address.problems)
        if errors:
            return RejectedRow(row_number, dict(zip(self.headers, cells[:-1], strict=True)), errors)
        if address.normalisations:
            changes.extend(address.normalisations)
        if address.abroad:
            holds.append(Hold.ADDRESS_ABROAD)
        elif address.to_verify is not None:
            holds.append(Hold.ADDRESS_TO_VERIFY)
        return AcceptedRow(row_number, {
            "patient_id": patient_id, "civility": civility, "first_name": first_name, "last_name": last_name,
            "birth_date": born, "address_line2": line2, "address_line3": line3, "street": street,
            "address_line5": line5, "postcode": address.postcode, "city": city, "country": country,
            "email": email, "deceased": is_deceased, "guardian_name": guardian, "segment": segment,
            "protected_adult": is_protected, "confidential_care": is_confidential, "minor": minor,
            "addressee": Addressee.GUARDIAN if representative or (minor and not is_confidential) else Addressee.PATIENT,
            "address_lines": address.lines,
            "normalisations": changes, "holds": holds,
        })


def _clean(values: tuple[str, ...], errors: list, changes: list) -> tuple[str, ...]:
    """Whitespace collapsed, invisible characters and the formula-guard apostrophe removed, each change recorded;
    undecodable bytes and control characters make the row rejected."""
    cleaned = []
    for field, value in zip(_ROW_FIELDS, values, strict=True):
        if value:
            text = value
            if text[0] == "'" and text[1:2] and text[1] in FORMULA_TRIGGERS:
                text = text[1:]
                changes.append(Normalisation(field, value, text, "formula_guard_removed"))
            collapsed = " ".join(text.translate(_INVISIBLE).split())
            if collapsed != text:
                changes.append(Normalisation(field, text, collapsed, "whitespace"))
            if _UNREADABLE.search(collapsed):
                errors.append(RowError(field, "invalid_characters", value))
            value = collapsed
        cleaned.append(value)
    return tuple(cleaned)


def _yes_no(field: str, text: str, errors: list, changes: list, today: date | None = None) -> bool:
    """oui/non, O/N, 1/0, x, vrai/faux, true/false, yes/no; a date of death (when `today` is given) means yes."""
    answer = _YES_NO.get(text)
    if answer is None:
        answer = _YES_NO.get(text.lower())
    if answer is not None:
        shown = "oui" if answer else "non"
        if text != shown:
            changes.append(Normalisation(field, text, shown, "yes_no"))
        return answer
    if today is not None:
        death = _cached_date(text)
        if type(death) is date and death <= today:
            changes.append(Normalisation(field, text, "oui", "death_date_means_deceased"))
            return True
    errors.append(RowError(field, "yes_no_invalid", text))
    return False


# --- The file --------------------------------------------------------------------------------------------------------

class PatientFile:
    """An opened patient list: its format, its headers, the detected mapping, and its rows on demand.

    The source is read again at each `rows()` call (a path is reopened, a file object rewound)."""

    def __init__(self, source: Source, file_format: FileFormat, detected_mapping: MappingResult):
        self._source = source
        self.format = file_format
        self.detected_mapping = detected_mapping

    kind = property(lambda self: self.format.kind)
    headers = property(lambda self: self.format.headers)
    encoding = property(lambda self: self.format.encoding)
    separator = property(lambda self: self.format.separator)

    def rows(self, mapping: dict[str, str], *, today: date, letter_date: date,
             seen_ids: set[str] | None = None, postcodes=None) -> Iterator[RowResult]:
        """Every data row, accepted or rejected, in file order. The mapping is checked now (ImportFileError);
        a file damaged further on (an unclosed quote) raises ImportFileError during iteration.

        `today` dates the birth-date check, `letter_date` decides who is a minor; `seen_ids` holds the patient IDs
        already imported for this breach (not modified); `postcodes` (rules.postcodes.PostcodeBase) checks French
        postcodes and cities against the official base (None: their form only)."""
        checker = _RowChecker(self.headers, mapping, today=today, letter_date=letter_date, seen_ids=seen_ids,
                              postcodes=postcodes)
        return starmap(checker.check, iter_records(self._source, self.format))


def check_values(values: dict[str, str], *, row_number: int, today: date, letter_date: date,
                 seen_ids: set[str] | None = None) -> RowResult:
    """One record given by canonical field (a rejected row the DPO corrected in the browser) through the very checks
    of an import: the same whitespace cleaning, address block, duplicate check against `seen_ids` and holds."""
    headers = tuple(FIELDS)
    checker = _RowChecker(headers, {field: field for field in headers}, today=today, letter_date=letter_date,
                          seen_ids=seen_ids)
    return checker.check(row_number, [str(values.get(field) or "") for field in headers])


def fields_of(cells: dict[str, str], mapping: dict[str, str]) -> dict[str, str]:
    """A row as read (by the file's headers) as canonical fields, through the import's mapping."""
    return {field: cells.get(header, "") for header, field in mapping.items() if field}


def error_codes(errors: Iterable[RowError | list]) -> list[str]:
    """The distinct reason codes of a rejected row, in order."""
    return list(dict.fromkeys(error[1] for error in errors))


def open_patient_file(source: Source, filename: str | None = None, *,
                      saved_mapping: dict[str, str] | None = None, max_columns: int = MAX_COLUMNS,
                      xlsx_limits: XlsxLimits | None = None) -> PatientFile:
    """Open a CSV or XLSX patient list (a path, or a seekable binary file object with its upload `filename`).

    ImportFileError when it is not a CSV/XLSX file, its encoding is unknown, or no column is recognised (neither
    from its headers nor from `saved_mapping`)."""
    file_format = inspect_file(source, filename, max_columns=max_columns, xlsx_limits=xlsx_limits)
    detected = detect_mapping(file_format.headers, saved_mapping)
    if not detected.mapping:
        raise ImportFileError("no_known_columns")
    return PatientFile(source, file_format, detected)


# --- The rejected rows, to fix in a spreadsheet and import again -----------------------------------------------------

ERRORS_COLUMN = "erreurs"


def write_rejected_csv(fileobj: IO[bytes], headers: Iterable[str], rejected_rows: Iterable[RejectedRow], *,
                       lang: str = "fr") -> int:
    """Write the rejected rows as a UTF-8 (with BOM, for Excel) ";" CSV: the original columns with the original
    values, then `erreurs`. Cells a spreadsheet would run as a formula get a leading apostrophe (OWASP CSV
    injection); the importer removes it again. Returns the number of rows written."""
    headers = [header for header in headers if header != ERRORS_COLUMN]  # a rejected file imported again
    text = io.TextIOWrapper(fileobj, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text, delimiter=";")
        writer.writerow([safe_cell(header) for header in headers] + [ERRORS_COLUMN])
        count = 0
        for row in rejected_rows:
            line = ("ligne" if lang != "en" else "line") + f" {row.row_number} : " + " ; ".join(row.messages(lang))
            writer.writerow([safe_cell(row.original.get(header, "")) for header in headers] + [safe_cell(line)])
            count += 1
    finally:
        text.detach()
    return count
