"""Org units whose parents go round in a circle (a region under its own store, a unit that is
its own parent) are a configuration error naming the unit, like any other bad parent: no
Speakap network can hold such a hierarchy."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.config import load_config
from reconciler.errors import ConfigError


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_region_placed_under_one_of_its_own_stores_is_refused(state_dir: Path) -> None:
    units = state_dir / "org-units.yaml"
    _edit(units, "    name: Regio Noord\n", "    name: Regio Noord\n    parent: store-s001\n")
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert "cycle" in caught.value.message and "region-noord" in caught.value.message
    assert caught.value.field == "parent" and caught.value.line is not None
    assert str(caught.value).startswith(f"{units}:")


def test_a_unit_that_is_its_own_parent_is_refused(state_dir: Path) -> None:
    _edit(
        state_dir / "org-units.yaml",
        "    name: Regio Zuid\n",
        "    name: Regio Zuid\n    parent: region-zuid\n",
    )
    with pytest.raises(ConfigError, match="region-zuid"):
        load_config(state_dir)


def test_a_deep_but_acyclic_hierarchy_still_loads(state_dir: Path) -> None:
    _edit(
        state_dir / "org-units.yaml",
        "    name: Regio Zuid\n",
        "    name: Regio Zuid\n    parent: region-noord\n",
    )
    config = load_config(state_dir)
    assert {u.key: u.parent for u in config.org_units}["region-zuid"] == "region-noord"
