"""The simulator's PATCH copies only what it changes and never touches the resource it is given;
removals by value in one PATCH give what removing them one by one gives."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.speakap.simulator import patch
from reconciler.speakap.simulator.filters import lookup
from reconciler.speakap.simulator.patch import PatchError, apply_patch

BAG = "urn:speakap:params:scim:bag"
ids = st.sampled_from(["a", "b", "c", "A", "d"])
members = st.lists(
    st.one_of(
        st.fixed_dictionaries({"value": ids}, optional={"display": st.text(max_size=2)}),
        st.fixed_dictionaries({"Value": ids}),
        st.fixed_dictionaries({"value": st.lists(ids, max_size=2)}),
        st.just("loose"),
    ),
    max_size=6,
)
resources = st.fixed_dictionaries(
    {
        "schemas": st.just(["urn:ietf:params:scim:schemas:core:2.0:Group"]),
        "members": members,
    },
    optional={
        "name": st.fixed_dictionaries({"givenName": st.text(max_size=2)}),
        BAG: st.fixed_dictionaries({"login": st.text(max_size=2)}),
        "emails": st.lists(
            st.fixed_dictionaries({"value": ids, "type": st.sampled_from(["work", "home"])}),
            max_size=3,
        ),
    },
)
removal = ids.map(lambda v: {"op": "remove", "path": f'members[value eq "{v}"]'})
other = st.sampled_from(
    [
        {"op": "add", "path": "members", "value": [{"value": "e"}, {"value": "a"}]},
        {"op": "replace", "path": "name.givenName", "value": "Eva"},
        {"op": "remove", "path": "name.givenName"},
        {"op": "replace", "path": f"{BAG}:login", "value": "x"},
        {"op": "remove", "path": f"{BAG}:login"},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "w"},
        {"op": "remove", "path": 'emails[type eq "home"].value'},
        {"op": "remove", "path": 'emails[type eq "home"]'},
        {"op": "add", "path": 'emails[type eq "work"]', "value": {"primary": True}},
        {"op": "remove", "path": 'members[display eq "x"]'},
        {"op": "add", "value": {"name.familyName": "B", BAG: {"managedBy": "sync"}}},
    ]
)
operations = st.lists(st.one_of(removal, removal, other), max_size=8)


def _patched(resource: dict[str, Any], ops: list[dict[str, Any]]) -> dict[str, Any] | str:
    try:
        return apply_patch(resource, ops, extensions=[BAG])
    except PatchError as error:
        return f"{error.scim_type}: {error.detail}"


@settings(max_examples=300, deadline=None)
@given(resources, operations)
def test_a_patch_never_changes_the_resource_it_is_given(
    resource: dict[str, Any], ops: list[dict[str, Any]]
) -> None:
    before = copy.deepcopy(resource)
    result = _patched(resource, ops)
    assert resource == before
    if isinstance(result, dict):  # and a later PATCH of the result leaves the first alone
        snapshot = copy.deepcopy(result)
        _patched(result, ops)
        assert result == snapshot


@settings(max_examples=300, deadline=None)
@given(resources, operations)
def test_removals_in_one_patch_equal_removals_one_by_one(
    resource: dict[str, Any], ops: list[dict[str, Any]]
) -> None:
    together = _patched(resource, ops)
    alone: dict[str, Any] | str = resource
    for op in ops:
        if isinstance(alone, str):
            break
        alone = _patched(alone, [op])
    assert together == alone


def test_removing_many_members_of_a_large_group_looks_at_each_member_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """2,000 removals from a group of 10,000: one set lookup per member, not a filter each."""
    looked: list[str] = []

    def counted(item: Mapping[str, Any], key: str) -> Any:
        looked.append(key)
        return lookup(item, key)

    monkeypatch.setattr(patch, "lookup", counted)
    group = {"members": [{"value": f"u{i}"} for i in range(10_000)]}
    ops = [{"op": "remove", "path": f'members[value eq "u{i}"]'} for i in range(0, 4000, 2)]
    patched = apply_patch(group, ops)
    assert len(patched["members"]) == 8_000
    assert {"value": "u2"} not in patched["members"] and {"value": "u3"} in patched["members"]
    assert len(group["members"]) == 10_000
    assert len(looked) == 10_000
