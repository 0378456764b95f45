"""The simulator's SCIM filter and PATCH semantics, with property tests against plain Python."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.speakap.simulator.filters import FilterError, parse_filter
from reconciler.speakap.simulator.patch import PatchError, apply_patch

USER = {
    "userName": "Jan.deVries@versmarkt.example",
    "externalId": "E1001",
    "name": {"givenName": "Jan", "familyName": "de Vries"},
    "active": True,
    "emails": [
        {"value": "jan@home.example", "type": "home"},
        {"value": "jan.devries@versmarkt.example", "type": "work", "primary": True},
    ],
    "urn:speakap:params:scim:bag": {"login": "jan", "managedBy": "speakap-sync"},
}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('userName eq "jan.devries@VERSMARKT.example"', True),  # userName: case-insensitive
        ('externalId eq "e1001"', False),  # externalId: case-exact
        ('externalId eq "E1001" and active eq true', True),
        ('externalId eq "X" or name.givenName sw "ja"', True),
        ("title pr", False),
        ("name pr and not (active eq false)", True),
        ('emails[type eq "work" and value co "devries"]', True),
        ('emails eq "jan@home.example"', True),
        ('urn:speakap:params:scim:bag:managedBy eq "speakap-sync"', True),
        ('urn:ietf:params:scim:schemas:core:2.0:User:name.familyName ew "vries"', True),
    ],
)
def test_filters_match_like_rfc_7644(text: str, expected: bool) -> None:
    assert parse_filter(text)(USER) is expected


@pytest.mark.parametrize("text", ['userName eq "open', "userName xx 1", "(active eq true", ""])
def test_broken_filters_are_refused(text: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(text)(USER)


names = st.sampled_from(["ann", "bob", "cem", "dia"])
atoms = st.tuples(st.sampled_from(["userName", "title"]), names)


@st.composite
def expressions(draw: st.DrawFn, depth: int = 0) -> tuple[str, Any]:
    """A filter text and the equivalent Python predicate."""
    if depth >= 2 or draw(st.booleans()):
        attr, value = draw(atoms)
        if draw(st.booleans()):
            return f"{attr} pr", lambda r, a=attr: r.get(a) is not None
        return f'{attr} eq "{value}"', lambda r, a=attr, v=value: r.get(a) == v
    left_text, left = draw(expressions(depth + 1))
    right_text, right = draw(expressions(depth + 1))
    op = draw(st.sampled_from(["and", "or", "not"]))
    if op == "not":
        return f"not ({left_text})", lambda r: not left(r)
    if op == "and":
        return f"({left_text}) and ({right_text})", lambda r: left(r) and right(r)
    return f"({left_text}) or ({right_text})", lambda r: left(r) or right(r)


@given(expressions(), st.fixed_dictionaries({}, optional={"userName": names, "title": names}))
def test_parsed_filters_agree_with_python(expr: tuple[str, Any], resource: dict[str, str]) -> None:
    text, predicate = expr
    assert parse_filter(text)(resource) == predicate(resource)


def test_membership_patches_add_once_and_remove_by_filter() -> None:
    group = {"members": [{"value": "a"}]}
    added = apply_patch(
        group, [{"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}]
    )
    assert added["members"] == [{"value": "a"}, {"value": "b"}]
    removed = apply_patch(added, [{"op": "remove", "path": 'members[value eq "a"]'}])
    assert removed["members"] == [{"value": "b"}]
    again = apply_patch(removed, [{"op": "remove", "path": 'members[value eq "a"]'}])
    assert again == removed  # removing a member that is gone is a no-op
    assert group == {"members": [{"value": "a"}]}  # the original is never mutated


def test_patch_of_extension_attributes_and_bad_operations() -> None:
    bag = "urn:speakap:params:scim:bag"
    patched = apply_patch(
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]},
        [
            {"op": "replace", "path": f"{bag}:managedBy", "value": "speakap-sync"},
            {"op": "add", "value": {"name.givenName": "Eva", "title": "Baker"}},
        ],
        extensions=[bag],
    )
    assert patched[bag] == {"managedBy": "speakap-sync"}
    assert patched["name"] == {"givenName": "Eva"} and patched["title"] == "Baker"
    assert apply_patch(patched, [{"op": "remove", "path": bag}], extensions=[bag]).get(bag) is None
    with pytest.raises(PatchError) as caught:
        apply_patch(patched, [{"op": "move", "path": "title"}])
    assert caught.value.scim_type == "invalidSyntax"
    with pytest.raises(PatchError) as caught:
        apply_patch(
            patched, [{"op": "replace", "path": 'emails[type eq "work"].value', "value": "x"}]
        )
    assert caught.value.scim_type == "noTarget"
