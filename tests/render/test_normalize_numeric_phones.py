"""Phones that a spreadsheet stored as numbers (no `+`, no leading zero) still normalise."""

from __future__ import annotations

import pytest

from reconciler.render.normalize import normalize_phone


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("32470123456", "+32470123456"),  # a Belgian mobile that lost its '+'
        ("4917612345678", "+4917612345678"),  # a German one
        ("612345678", "+31612345678"),  # a Dutch mobile that lost its leading zero
        ("31612345678", "+31612345678"),
    ],
)
def test_a_phone_stored_as_a_number_is_read_as_intended(cell: str, expected: str) -> None:
    assert normalize_phone(cell, "NL") == expected


def test_digits_that_are_no_phone_anywhere_stay_invalid() -> None:
    assert normalize_phone("12345", "NL") is None
    assert normalize_phone("999999999999", "NL") is None
