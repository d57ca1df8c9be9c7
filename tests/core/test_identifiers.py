"""Identifiers people type are checked as the users expect: an address is an address, a French phone number has
ten digits, SIREN and FINESS carry their check keys."""

import pytest

from notifier.core.identifiers import (
    IdentifierError,
    check_email,
    check_finess,
    check_phone_fr,
    check_siren,
    luhn_valid,
)


@pytest.mark.parametrize("text", ["claire.martin@", "claire martin@chu.fr", "@chu-lyon.fr", "a@b", "dpo@localhost",
                                  "dpo@@chu.fr", "dpo"])
def test_an_email_field_refuses_what_is_not_an_address(text):
    with pytest.raises(IdentifierError) as raised:
        check_email(text)
    assert raised.value.code == "email"


def test_an_email_address_is_accepted_as_typed():
    assert check_email(" claire.martin@chu-lyon.fr ") == "claire.martin@chu-lyon.fr"


@pytest.mark.parametrize("text, stored", [
    ("04 72 10 20 30", "04 72 10 20 30"), ("0472102030", "04 72 10 20 30"), ("04.72.10.20.30", "04 72 10 20 30"),
    ("06-12-34-56-78", "06 12 34 56 78"), ("+33 4 72 10 20 30", "+33 4 72 10 20 30"),
    ("+33 (0)4 72 10 20 30", "+33 4 72 10 20 30"), ("0033472102030", "+33 4 72 10 20 30"),
    ("+262 262123456", "+262 262123456")])
def test_french_phone_numbers_are_accepted_and_grouped(text, stored):
    assert check_phone_fr(text) == stored


@pytest.mark.parametrize("text", ["04 72 10 20", "00 72 10 20 30", "4 72 10 20 30 1", "+33 04 72 10 20 30",
                                  "+33 4 72 10 20", "+44 20 7946 0958", "standard", "04 72 10 20 3O"])
def test_a_phone_number_that_is_not_french_is_refused(text):
    with pytest.raises(IdentifierError):
        check_phone_fr(text)


def test_luhn_is_the_mod_10_check():
    assert luhn_valid("79927398713")
    assert not luhn_valid("79927398710")
    assert not luhn_valid("12a")


def test_a_siren_needs_its_luhn_key():
    assert check_siren("552 100 554") == "552100554"
    assert check_siren("732829320") == "732829320"
    with pytest.raises(IdentifierError) as raised:
        check_siren("552100555")
    assert raised.value.code == "siren_key"
    with pytest.raises(IdentifierError) as raised:
        check_siren("55210055")
    assert raised.value.code == "siren_format"


@pytest.mark.parametrize("finess", ["750712184", "690781810", "750803447"])
def test_published_finess_numbers_pass_their_key(finess):
    assert check_finess(finess) == finess


def test_a_finess_with_a_wrong_key_is_refused():
    with pytest.raises(IdentifierError) as raised:
        check_finess("750712185")
    assert raised.value.code == "finess_key"


@pytest.mark.parametrize("finess", ["000000000", "960000000", "2C0000014", "75071218", "7507121840"])
def test_a_finess_must_start_with_a_departement(finess):
    with pytest.raises(IdentifierError) as raised:
        check_finess(finess)
    assert raised.value.code == "finess_format"


def test_a_corsican_finess_is_checked_for_its_form():
    assert check_finess("2a0000014") == "2A0000014"


@pytest.mark.parametrize("finess", ["2A0000014", "2A0000022", "2B0000012", "2B0000020"])
def test_a_corsican_finess_passes_its_key_with_2a_as_21_and_2b_as_22(finess):
    """The key over 21 / 22 in place of 2A / 2B (see notifier/core/identifiers.py for the doubt)."""
    assert check_finess(finess) == finess


@pytest.mark.parametrize("finess", ["2A0000313", "2B0000313", "2A0000315", "2B0000317"])
def test_a_corsican_finess_keyed_under_the_other_readings_is_not_refused_for_our_doubt(finess):
    """2A / 2B read as 20 (the first two), or as the NIR's 19 / 18 (the last two): none of these passes with 21 / 22,
    yet a genuine number must never be refused while the DREES rule is not confirmed."""
    assert check_finess(finess) == finess


@pytest.mark.parametrize("finess", ["2A0000015", "2A0000020", "2B0000014", "2B0000021"])
def test_a_corsican_finess_with_a_wrong_key_is_refused(finess):
    with pytest.raises(IdentifierError) as raised:
        check_finess(finess)
    assert raised.value.code == "finess_key"
