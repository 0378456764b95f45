"""A plan.json whose actions pass the compiled check is still refused, naming the field, when
anything else is wrong; an action the check refuses is named by jsonschema's first error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.reconcile.plan_json import plan_to_json, read_plan
from tests.reconcile.conftest import a_day_of_changes


def test_a_plan_whose_actions_pass_but_whose_counts_do_not_names_the_counts(
    tmp_path: Path,
) -> None:
    data = plan_to_json(a_day_of_changes())
    data["counts"]["drop_database"] = 1
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as caught:
        read_plan(path)
    assert "counts" in str(caught.value) and "drop_database" in str(caught.value)


def test_an_action_with_an_unknown_field_is_refused_naming_it(tmp_path: Path) -> None:
    data = plan_to_json(a_day_of_changes())
    data["actions"][2]["password"] = "x"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as caught:
        read_plan(path)
    assert "actions/2" in str(caught.value) and "password" in str(caught.value)
