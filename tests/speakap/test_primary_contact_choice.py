"""A user's email or phone is the primary value of its multi-valued attribute, else the first
of the dialect's type, else the first with a value: whatever else the list holds."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from reconciler.speakap.mapping import _pick


def _by_rule(values: Any, preferred_type: str) -> str | None:
    """The rule in its plainest form: three passes over the list."""
    if not isinstance(values, list):
        return None
    usable = [v for v in values if isinstance(v, Mapping) and v.get("value")]
    for test in (
        lambda v: v.get("primary") is True,
        lambda v: v.get("type") == preferred_type,
        lambda v: True,
    ):
        for item in usable:
            if test(item):
                return str(item["value"])
    return None


items = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "value": st.one_of(st.none(), st.just(""), st.text(max_size=5), st.integers()),
            "type": st.sampled_from(["work", "home", "mobile", ""]),
            "primary": st.one_of(st.booleans(), st.just("true"), st.none()),
        },
    ),
    st.none(),
    st.text(max_size=3),
)


@given(
    st.one_of(st.lists(items, max_size=6), st.none(), st.text(max_size=3)),
    st.sampled_from(["work", "mobile"]),
)
def test_the_pick_follows_primary_then_type_then_first(values: Any, preferred: str) -> None:
    assert _pick(values, preferred) == _by_rule(values, preferred)


def test_a_primary_value_wins_over_an_earlier_one_of_the_preferred_type() -> None:
    values = [
        {"value": "home@example.com", "type": "home"},
        {"value": "w@example.com", "type": "work"},
        {"value": "p@example.com", "type": "other", "primary": True},
    ]
    assert _pick(values, "work") == "p@example.com"
    assert _pick(values[:2], "work") == "w@example.com"
    assert _pick(values[:1], "work") == "home@example.com"
