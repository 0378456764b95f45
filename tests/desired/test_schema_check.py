"""A check compiled from a JSON Schema accepts exactly what jsonschema accepts on plan.json's
actions, never more on other schemas, and refuses to compile what it does not understand."""

from __future__ import annotations

from typing import Any

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.desired.documents import load_schema
from reconciler.desired.schema_check import compile_check

ITEMS: dict[str, Any] = load_schema("plan")["properties"]["actions"]["items"]
KINDS = ITEMS["properties"]["kind"]["enum"]
CAUSES = ITEMS["properties"]["cause"]["enum"]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=4),
    st.sampled_from([*KINDS, *CAUSES, "drop_database"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=2) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=4,
)
keys = st.sampled_from([*ITEMS["properties"], "extra"])
# valid actions, and valid ones with one field spoiled (a wrong value, or an unknown key)
optional_text = st.none() | st.text(max_size=4)
valid = st.fixed_dictionaries(
    {"id": st.text(min_size=3, max_size=6), "kind": st.sampled_from(KINDS)},
    optional={
        "employee_id": optional_text,
        "org_unit": optional_text,
        "user_id": optional_text,
        "group_id": optional_text,
        "business_unit": optional_text,
        "before": st.none() | st.dictionaries(st.text(max_size=3), scalars, max_size=2),
        "after": st.none() | st.dictionaries(st.text(max_size=3), scalars, max_size=2),
        "reason": st.text(max_size=4),
        "cause": st.sampled_from(CAUSES),
    },
)
spoiled = st.tuples(valid, keys, values).map(lambda t: {**t[0], t[1]: t[2]})
actions = valid | spoiled | st.dictionaries(keys, values, max_size=12) | values
SCHEMA = jsonschema.Draft202012Validator(ITEMS)
CHECK = compile_check(ITEMS)


@settings(max_examples=400, deadline=None)
@given(actions)
def test_the_action_check_agrees_with_jsonschema(action: Any) -> None:
    assert CHECK is not None
    assert CHECK(action) == SCHEMA.is_valid(action)


@given(st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(), st.text(max_size=3)))
def test_a_compiled_check_never_accepts_what_the_schema_refuses(value: Any) -> None:
    """Outside the action schema's types the check may be stricter (``1.0`` as an integer),
    never looser."""
    schema = {"type": ["integer", "boolean"], "minLength": 1}
    check = compile_check(schema)
    assert check is not None
    if check(value):
        assert jsonschema.Draft202012Validator(schema).is_valid(value)


def test_a_schema_outside_the_subset_compiles_to_nothing() -> None:
    assert compile_check({"type": "string", "pattern": "^a"}) is None
    assert compile_check({"properties": {"a": {"format": "date"}}}) is None
    assert compile_check({"enum": [1, 2]}) is None


NUMBERS = {
    "type": "object",
    "required": ["a"],
    "properties": {
        "a": {"type": "integer"},
        "b": {"type": ["number", "null"]},
        "c": {"type": "boolean", "description": "an annotation"},
    },
    "additionalProperties": False,
}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["a", "b", "c", "d"]), values, max_size=4) | values)
def test_a_check_of_numbers_never_accepts_what_the_schema_refuses(value: Any) -> None:
    check = compile_check(NUMBERS)
    assert check is not None
    if check(value):
        assert jsonschema.Draft202012Validator(NUMBERS).is_valid(value)
