"""Emails and phones shown to someone who may not see them keep only a hint (plans, reports)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from reconciler.model import mask_email, mask_phone


def test_masking_keeps_only_a_hint() -> None:
    assert mask_email("jan.jansen@example.com") == "j***@example.com"
    assert mask_phone("+31612345678") == "+31*******78"


def test_a_value_too_short_for_a_hint_is_hidden_whole() -> None:
    assert mask_phone("+3161") == "***"  # its first three and last two would be all of it
    assert mask_phone("112") == "***"
    assert mask_email("@example.com") == "***"  # no local part: the domain would be all of it
    assert mask_email("not-an-address") == "***"


@given(st.text(min_size=6, max_size=30))
def test_a_masked_phone_never_shows_more_than_five_characters(value: str) -> None:
    masked = mask_phone(value)
    assert len(masked) == len(value)
    assert sum(1 for a, b in zip(masked, value, strict=True) if a == b and a != "*") <= 5
