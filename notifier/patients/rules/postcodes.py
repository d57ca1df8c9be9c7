"""French postcodes checked against the official base, as La Poste's RNVP does before a bulk mailing.

The base is the table shipped in `data/postcodes.tsv.gz` (every postcode and the communes it serves with their
*libellé d'acheminement*; Base Adresse Nationale's npm package `codes-postaux`, MIT licence, from INSEE's Code
officiel géographique; metropolitan France, Corsica and the overseas départements; rebuilt by
scripts/build_postcodes.py, its source and version in the file's header). It is read once per process
(`postcode_base()`, about 36,000 rows, a few MiB in memory) and each check is two dictionary look-ups, cached by
(postcode, city) pair: a 750,000-row import repeats a few thousand pairs.

For a French address (NF Z10-011 line 6 = postcode + libellé d'acheminement in capitals without accents):
- the postcode must exist in the base;
- the city must be one of the communes it serves (by commune name or libellé), compared without accents, case,
  hyphens, apostrophes, "ST"/"SAINT", "STE"/"SAINTE", "(LE)" at the end, and arrondissements: "Paris 11e" and
  "PARIS" are 75011's, "Paris 12e" is not ("Paris VIII", "Paris Ier": Roman numerals too);
- a 4-digit postcode (a leading zero lost by a spreadsheet) is padded only when the padded code serves the city:
  "1000 Bourg-en-Bresse" -> 01000, but "7500 Paris" is not 07500 (Guilherand-Granges, Ardèche);
- a CEDEX address ("LYON CEDEX 03", postcode 69443) is accepted when its city is a commune of the postcode's
  département: CEDEX codes are a business service and not in the base; the line is printed as given.
When postcode and city do not agree the check says `to_verify` and gives the suggestions the base has: the
communes of that postcode and the postcodes of that city. No Flask, no SQLAlchemy: the importer and the fix page
call it.
"""

from __future__ import annotations

import gzip
import re
import sys
import threading
from collections.abc import Iterable
from importlib import resources
from typing import NamedTuple

from notifier.core.i18n import N_
from notifier.patients.rules.addresses import last_line_text, without_accents

DATA_FILE = "postcodes.tsv.gz"
MAX_SUGGESTIONS = 12

# Why an address is held for verification (code -> French msgid): shown on the fix page.
VERIFY_REASONS: dict[str, str] = {
    "postcode_unknown": N_("Ce code postal n'existe pas dans la base officielle des codes postaux"),
    "city_mismatch": N_("La ville ne correspond à aucune commune desservie par ce code postal"),
    "postcode_truncated": N_("Code postal à 4 chiffres\u00a0: le code complété d'un zéro ne dessert pas cette ville"),
}


class Commune(NamedTuple):
    postcode: str
    insee: str
    name: str  # as INSEE writes it: "Paris 11e Arrondissement", "Saint-Étienne"
    libelle: str  # libellé d'acheminement as printed on line 6: "PARIS", "SAINT ETIENNE"


class Suggestion(NamedTuple):
    postcode: str
    libelle: str
    name: str

    @property
    def line(self) -> str:
        return f"{self.postcode} {self.libelle}"


class PostcodeCheck(NamedTuple):
    """`status`: "ok" (line 6 is `postcode` + `city`, the base's spelling), or "to_verify" (`reason` is a key of
    VERIFY_REASONS, `suggestions` what the base proposes; `postcode` and `city` are the file's, formatted)."""

    status: str
    postcode: str
    city: str
    reason: str = ""
    suggestions: tuple[Suggestion, ...] = ()

    @property
    def ok(self) -> bool:
        return self.status == "ok"


class CityKey(NamedTuple):
    key: str  # letters and digits only: "SAINTETIENNE", "PARIS"
    arrondissement: int | None  # 11 for "Paris 11e"
    cedex: bool


_ARTICLE_AT_END = re.compile(r"^(.*?)\s*\((LE|LA|LES|L)\)$")
_WORDS = re.compile(r"[A-Z0-9]+")
_ARRONDISSEMENT_WORDS = frozenset({"ARRONDISSEMENT", "ARR", "ARRT", "ARRDT", "ARDT"})
_ORDINAL = re.compile(r"^([0-9]{1,2})(E|EME|ER|ERE|ND)?$")
# "Paris VIII", "Paris Ier", "Lyon IIIe": arrondissements in Roman numerals, I to XX.
_ROMAN = {numeral: number for number, numeral in enumerate(
    "I II III IV V VI VII VIII IX X XI XII XIII XIV XV XVI XVII XVIII XIX XX".split(), start=1)}
_ROMAN_ORDINAL = re.compile(r"^([IVX]{1,5}?)(E|EME|ER|ERE)?$")


def _arrondissement_number(word: str) -> int | None:
    match = _ORDINAL.match(word)
    if match:
        return int(match.group(1))
    match = _ROMAN_ORDINAL.match(word)
    return _ROMAN.get(match.group(1)) if match else None
_CITIES_WITH_ARRONDISSEMENTS = frozenset({"PARIS", "LYON", "MARSEILLE"})
_WORD_FORMS = {"ST": "SAINT", "STE": "SAINTE"}


def city_key(text: str) -> CityKey:
    """The form two spellings of a commune share: 'St-Étienne' and 'SAINT ETIENNE' -> SAINTETIENNE; 'Havre (Le)' and
    'Le Havre' -> LEHAVRE; 'Paris 11e' -> PARIS, arrondissement 11; 'LYON CEDEX 03' -> LYON, CEDEX."""
    upper = without_accents(text).upper().strip()
    moved = _ARTICLE_AT_END.match(upper)
    if moved:
        upper = f"{moved.group(2)} {moved.group(1)}"
    words = _WORDS.findall(upper)
    cedex = False
    if "CEDEX" in words:
        cedex = True
        at = words.index("CEDEX")
        words = words[:at] + [word for word in words[at + 1:] if not word.isdigit()]
    arrondissement = None
    cut = len(words)
    while cut > 1 and (words[cut - 1] in _ARRONDISSEMENT_WORDS or _arrondissement_number(words[cut - 1])):
        cut -= 1
    if cut < len(words):
        tail = words[cut:]
        # "Paris 11e", "Lyon 3", "Paris VIII", "Marseille 8e arrondissement"; "Fontaine 2" and "Louis XIV" are not
        # spellings of an arrondissement: kept.
        if "".join(words[:cut]) in _CITIES_WITH_ARRONDISSEMENTS or any(w in _ARRONDISSEMENT_WORDS for w in tail):
            numbers = [number for number in map(_arrondissement_number, tail) if number]
            arrondissement = numbers[0] if numbers else None
            words = words[:cut]
    return CityKey("".join(_WORD_FORMS.get(word, word) for word in words), arrondissement, cedex)


def _department(postcode: str) -> str:
    return postcode[:3] if postcode.startswith("97") else postcode[:2]


class PostcodeBase:
    """The postcode table in memory: communes by postcode, postcodes by city key. Build it with `postcode_base()`
    (the shipped table, once per process) or from rows (tests)."""

    def __init__(self, communes: list[Commune], source: str = ""):
        self.source = source
        by_postcode: dict[str, list[tuple[Commune, tuple[str, ...], int | None]]] = {}
        by_key: dict[str, set[str]] = {}
        known: dict[str, CityKey] = {}  # a commune served by several postcodes, a libellé shared by many: once each

        def key_of(text: str) -> CityKey:
            found = known.get(text)
            if found is None:
                found = known[text] = city_key(text)
            return found

        for commune in communes:
            name_key = key_of(commune.name)
            keys = tuple(dict.fromkeys((name_key.key, key_of(commune.libelle).key)))
            by_postcode.setdefault(commune.postcode, []).append((commune, keys, name_key.arrondissement))
            for key in keys:
                by_key.setdefault(key, set()).add(commune.postcode)
        self._by_postcode = by_postcode
        self._by_key = {key: tuple(sorted(postcodes)) for key, postcodes in by_key.items()}
        self._cache: dict[tuple[str, str], PostcodeCheck] = {}
        self.rows = len(communes)

    def __len__(self) -> int:
        return len(self._by_postcode)

    def communes(self, postcode: str) -> list[Commune]:
        return [entry[0] for entry in self._by_postcode.get(postcode, ())]

    def postcodes_of(self, city: str) -> tuple[str, ...]:
        return self._by_key.get(city_key(city).key, ())

    def check(self, postcode: str, city: str) -> PostcodeCheck:
        """Postcode (5 digits, or 4 whose leading zero was lost) and city of a French address against the base."""
        pair = (postcode, city)
        found = self._cache.get(pair)
        if found is None:
            found = self._check(postcode, city)
            if len(self._cache) < 200_000:  # (postcode, city) pairs of a file: a bounded set in practice
                self._cache[pair] = found
        return found

    def _match(self, postcode: str, wanted: CityKey) -> Commune | None:
        for commune, keys, arrondissement in self._by_postcode.get(postcode, ()):
            if wanted.key in keys and (wanted.arrondissement is None or arrondissement is None
                                       or arrondissement == wanted.arrondissement):
                return commune
        return None

    def _check(self, postcode: str, city: str) -> PostcodeCheck:
        head, _, rest = city.strip().partition(" ")
        if rest and head in (postcode, "0" + postcode):
            city = rest  # "75011 Paris" in the city column, the same postcode in its own: the city is "Paris"
        wanted = city_key(city)
        typed_city = last_line_text(city)
        if len(postcode) == 4:
            padded = "0" + postcode
            commune = self._match(padded, wanted)
            if commune is not None:
                return PostcodeCheck("ok", padded, last_line_text(commune.libelle))
            return PostcodeCheck("to_verify", postcode, typed_city, "postcode_truncated",
                                 self._suggestions(postcode, wanted, also_postcode=padded))
        if wanted.cedex:
            # CEDEX codes are not in the base: the city must be a commune of the code's département.
            department = _department(postcode)
            known = any(_department(code) == department for code in self._by_key.get(wanted.key, ()))
            if known or self._match(postcode, wanted) is not None:
                return PostcodeCheck("ok", postcode, typed_city)
            return PostcodeCheck("to_verify", postcode, typed_city, "city_mismatch",
                                 self._suggestions(postcode, wanted))
        if postcode not in self._by_postcode:
            return PostcodeCheck("to_verify", postcode, typed_city, "postcode_unknown",
                                 self._suggestions(postcode, wanted))
        commune = self._match(postcode, wanted)
        if commune is None:
            return PostcodeCheck("to_verify", postcode, typed_city, "city_mismatch",
                                 self._suggestions(postcode, wanted))
        return PostcodeCheck("ok", postcode, last_line_text(commune.libelle))

    def _suggestions(self, postcode: str, wanted: CityKey, also_postcode: str = "") -> tuple[Suggestion, ...]:
        """The communes of the typed postcode (when it exists), then the postcodes of the city (closest to the typed
        code first: the same arrondissement, then the longest common prefix), then the communes of the padded code."""
        found: dict[tuple[str, str], Suggestion] = {}

        def common_prefix(code: str) -> int:
            count = 0
            for a, b in zip(code, postcode, strict=False):
                if a != b:
                    break
                count += 1
            return count

        city_codes = []
        for code in self._by_key.get(wanted.key, ()):
            for commune, keys, arrondissement in self._by_postcode[code]:
                if wanted.key in keys:
                    same_arrondissement = wanted.arrondissement is not None and arrondissement == wanted.arrondissement
                    city_codes.append((not same_arrondissement, -common_prefix(code), code, commune))
                    break

        def add(code: str, commune: Commune) -> None:
            found.setdefault((code, commune.libelle), Suggestion(code, last_line_text(commune.libelle), commune.name))

        # A known postcode with the wrong city: its own communes first (the city may be the mistake).
        for commune in self.communes(postcode)[:MAX_SUGGESTIONS]:
            add(postcode, commune)
        for _, _, code, commune in sorted(city_codes)[:MAX_SUGGESTIONS]:
            add(code, commune)
        if also_postcode:
            for commune in self.communes(also_postcode)[:MAX_SUGGESTIONS]:
                add(also_postcode, commune)
        return tuple(found.values())[:2 * MAX_SUGGESTIONS]


def read_table(lines: Iterable[str]) -> tuple[list[Commune], str]:
    """The rows of the shipped table (its lines, read one at a time) and its source line."""
    communes = []
    source = ""
    intern = sys.intern  # postcodes and libellés repeat: one string each
    for line in lines:
        line = line.rstrip("\n")
        if line.startswith("#"):
            if line.startswith("# source:"):
                source = line[len("# source:"):].strip()
            continue
        if line:
            postcode, insee, name, libelle = line.split("\t")
            communes.append(Commune(intern(postcode), insee, name, intern(libelle)))
    return communes, source


_base: PostcodeBase | None = None
_lock = threading.Lock()


def postcode_base() -> PostcodeBase:
    """The shipped table, read once per process (thread-safe)."""
    global _base
    if _base is None:
        with _lock:
            if _base is None:
                path = resources.files("notifier.patients.rules").joinpath("data", DATA_FILE)
                with path.open("rb") as raw, gzip.open(raw, "rt", encoding="utf-8") as lines:
                    communes, source = read_table(lines)
                _base = PostcodeBase(communes, source)
    return _base
