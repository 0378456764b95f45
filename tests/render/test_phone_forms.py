"""Phones are read in the forms people write them, and a number only possible (its length fits,
its range is unassigned) is kept for the record but never counts as fit for SMS."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.render.normalize import normalize_phone, parse_phone

E164 = re.compile(r"^\+[1-9][0-9]{5,14}$")


@pytest.mark.parametrize(
    ("written", "e164"),
    [
        ("+31(0)30-8246280", "+31308246280"),
        ("+31 (0)30 824 62 80", "+31308246280"),
        ("030-8246280", "+31308246280"),
        ("(030) 824 6280", "+31308246280"),
        ("0031 6 1234 5678", "+31612345678"),
        ("0031-(0)6-12345678", "+31612345678"),
        ("06-12345678", "+31612345678"),
        ("06.12.34.56.78", "+31612345678"),
        ("06 1234 5678", "+31612345678"),
        ("06\u00a012345678", "+31612345678"),  # a non-breaking space from a spreadsheet
        ("06–12345678", "+31612345678"),  # an en dash
        ("612345678.0", "+31612345678"),  # a spreadsheet's float
        ("06-12345678 (privé)", "+31612345678"),
        ("06-12345678 / 030-8246280", "+31612345678"),
        ("onbekend; 06-12345678", "+31612345678"),
        ("+32 470 12 34 56", "+32470123456"),
    ],
)
def test_a_written_form_reads_as_its_number(written: str, e164: str) -> None:
    phone = parse_phone(written, "NL")
    assert phone is not None and phone.valid and phone.e164 == e164
    assert normalize_phone(written, "NL") == e164


def test_a_possible_number_is_kept_but_not_valid() -> None:
    phone = parse_phone("012-3456789", "NL")  # area code 012 is not assigned
    assert phone is not None and phone.e164 == "+31123456789" and not phone.valid
    assert normalize_phone("012-3456789", "NL") is None


@pytest.mark.parametrize("text", ["0612", "12345", "0000000000", "call me", "06-1234567", ""])
def test_what_is_no_phone_at_all_is_none(text: str) -> None:
    assert parse_phone(text, "NL") is None


# -- properties ----------------------------------------------------------------------------------

SUBSCRIBER = st.text(alphabet="0123456789", min_size=8, max_size=8)
SEPARATOR = st.sampled_from(["", " ", "-", ".", "\u00a0"])


@given(SUBSCRIBER, SEPARATOR, st.sampled_from(["06", "+316", "0031 6", "+31 (0)6", "00316"]))
def test_every_written_form_of_a_dutch_mobile_is_the_same_number(
    digits: str, separator: str, prefix: str
) -> None:
    written = prefix + separator + separator.join([digits[:2], digits[2:5], digits[5:]])
    phone = parse_phone(written, "NL")
    assert phone is not None and phone.e164 == f"+316{digits}"
    assert phone == parse_phone(f"06{digits}", "NL")  # valid or not, as the plain form is


@given(st.text(max_size=40))
def test_any_text_reads_as_no_phone_or_an_e164_number(text: str) -> None:
    phone = parse_phone(text, "NL")
    assert phone is None or E164.match(phone.e164)
    valid = normalize_phone(text, "NL")
    assert valid == (phone.e164 if phone is not None and phone.valid else None)


@given(st.text(alphabet="0123456789 -+().", max_size=20))
def test_a_number_fit_for_sms_reads_the_same_from_its_own_e164(text: str) -> None:
    phone = parse_phone(text, "NL")
    if phone is not None:
        again = parse_phone(phone.e164, "NL")
        assert again == phone


def test_a_national_number_of_leading_zeros_is_no_phone() -> None:
    assert parse_phone("0000000001", "NL") is None
