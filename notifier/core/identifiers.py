"""Identifiers people type and expect to be checked: e-mail addresses, French telephone numbers, SIREN and FINESS
numbers with their check keys. Pure functions (no Flask, no database): the breach wizard, the JSON import and the
establishment form all use them, so one rule holds everywhere.

Each ``check_*`` returns the value in its stored form or raises ``IdentifierError`` with a code; the caller turns the
code into a message in the user's language."""

from __future__ import annotations

import re

from email_validator import EmailNotValidError, validate_email


class IdentifierError(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod 10) check over a string of digits: from the right, every second digit is doubled (9 taken off
    a result over 9); the sum must be a multiple of 10."""
    if not digits.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _compact(text: str) -> str:
    return re.sub(r"[\s\u00a0\u202f.\-]", "", text or "")


def check_siren(text: str) -> str:
    """SIREN (INSEE, décret n° 73-314 and the Sirene register): 9 digits, the 9th a Luhn check key over the first 8.
    Spaces are allowed when typed ("552 100 554") and removed."""
    siren = _compact(text)
    if not re.fullmatch(r"\d{9}", siren):
        raise IdentifierError("siren_format")
    if not luhn_valid(siren):
        raise IdentifierError("siren_key")
    return siren


# FINESS (Fichier national des établissements sanitaires et sociaux, kept by the DREES): 9 characters, the
# département first (2 characters: 01-95, 2A or 2B for Corsica, 97 / 98 then a digit overseas), then the order
# number, then a check key in 9th position: the Luhn key computed over the first 8 characters (checked against
# published numbers: 750712184 AP-HP, 690781810 Hospices civils de Lyon).
# Corsica: 2A / 2B are not digits, so they are replaced by digits before the Luhn computation. No published rule
# was found (not in this repository, ../shared, nor the DREES / ANS pages at hand); three readings are in use for
# identifiers of Corsica: the letter's rank (2A -> 21, 2B -> 22, which the one Corsican number of this repository,
# 2A0000014, passes), 2A / 2B -> 20 (the département's former number), and 2A -> 19 / 2B -> 18 (the NIR's, INSEE).
# Refusing a genuine FINESS would stop a Corsican establishment from being registered at all, so a number passes when
# its key is right under one of these readings: a typo is still caught most of the time (a wrong key passes none of
# them in most cases), a real number is never refused for our doubt. When the DREES rule is confirmed, keep only its
# reading in this table.
_DEPARTMENT = re.compile(r"0[1-9]|[1-8]\d|9[0-5]|2A|2B|97|98")
CORSICA_KEY_DIGITS = {"2A": ("21", "20", "19"), "2B": ("22", "20", "18")}


def check_finess(text: str) -> str:
    """FINESS: 9 characters, a département first (2A / 2B for Corsica), the Luhn check key last (see above)."""
    finess = _compact(text).upper()
    if not re.fullmatch(r"(\d{2}|2A|2B)\d{7}", finess) or not _DEPARTMENT.fullmatch(finess[:2]):
        raise IdentifierError("finess_format")
    readings = CORSICA_KEY_DIGITS.get(finess[:2], (finess[:2],))
    if not any(luhn_valid(department + finess[2:]) for department in readings):
        raise IdentifierError("finess_key")
    return finess


def check_email(text: str) -> str:
    """One e-mail address (RFC 5321 / 5322 syntax, a domain with a dot): "claire.martin@" or "claire martin@chu" are
    refused. Deliverability is not checked (no DNS lookup from a form)."""
    candidate = (text or "").strip()
    try:
        result = validate_email(candidate, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise IdentifierError("email") from None
    return result.normalized


_PHONE_FR = re.compile(r"0[1-9]\d{8}")


def check_phone_fr(text: str) -> str:
    """A French telephone number (the Arcep's national numbering plan): ten digits starting with 0
    then 1 to 9 ("04 72 10 20 30"), or the international form +33 followed by the nine digits without the 0
    ("+33 4 72 10 20 30", "+33 (0)4 72 10 20 30"); overseas +262, +590, +594, +596, +269, +687, +689 are
    accepted with nine digits. Returned grouped by two ("04 72 10 20 30") or as typed for the international form,
    spaces normalised."""
    raw = (text or "").strip()
    compact = re.sub(r"[\s\u00a0\u202f.\-/]", "", raw).replace("(0)", "")
    if compact.startswith("0033"):
        compact = "+33" + compact[4:]
    if _PHONE_FR.fullmatch(compact):
        return " ".join(compact[i:i + 2] for i in range(0, 10, 2))
    match = re.fullmatch(r"\+(33|262|590|594|596|269|687|689|508|681)(\d+)", compact)
    if match:
        country, number = match.groups()
        expected = 9 if country in ("33", "262", "590", "594", "596", "269") else 6
        if len(number) == expected and number[0] != "0":
            if country == "33":
                return f"+33 {number[0]} " + " ".join(number[i:i + 2] for i in range(1, 9, 2))
            return f"+{country} {number}"
    raise IdentifierError("phone_fr")
