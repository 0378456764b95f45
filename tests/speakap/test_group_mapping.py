"""How an org unit's name, parent and visibility travel to and from a SCIM Group (pure)."""

from __future__ import annotations

import pytest

from reconciler.speakap.dialect import DEFAULT_DIALECT, GROUP_SCHEMA
from reconciler.speakap.mapping import group_update_operations, live_group

EXT = DEFAULT_DIALECT.group_urn


def test_a_rename_and_a_move_to_the_top_are_one_replace_and_one_remove() -> None:
    ops = group_update_operations({"name": "Noord", "parent": None}, DEFAULT_DIALECT)
    assert ops == [
        {"op": "replace", "path": "displayName", "value": "Noord"},
        {"op": "remove", "path": f"{EXT}:parent"},
    ]


def test_a_new_parent_and_visibility_go_to_the_group_extension() -> None:
    ops = group_update_operations({"parent": "store-01", "visibility": "secret"}, DEFAULT_DIALECT)
    assert ops == [
        {"op": "replace", "path": f"{EXT}:parent", "value": "store-01"},
        {"op": "replace", "path": f"{EXT}:visibility", "value": "secret"},
    ]


def test_a_field_that_is_not_an_org_unit_field_is_refused() -> None:
    with pytest.raises(ValueError, match="not an org-unit field: kind"):
        group_update_operations({"kind": "group"}, DEFAULT_DIALECT)


@pytest.mark.parametrize(
    ("raw", "read"), [("private", "private"), ("Everyone", None), (None, None)]
)
def test_a_live_group_reads_a_known_visibility_and_ignores_others(
    raw: str | None, read: str | None
) -> None:
    resource = {
        "schemas": [GROUP_SCHEMA, EXT],
        "id": "g1",
        "externalId": "news",
        "displayName": "News",
        EXT: {"kind": "group", "parent": "", "visibility": raw},
    }
    group = live_group(resource, DEFAULT_DIALECT)
    assert (group.visibility, group.parent_key, group.kind) == (read, None, "group")
