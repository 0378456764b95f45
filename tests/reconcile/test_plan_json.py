"""plan.json: the schema, the round trip, clear errors for a bad file, never a token."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.errors import ConfigError
from reconciler.reconcile.plan_json import (
    dumps,
    plan_from_json,
    plan_to_json,
    read_plan,
    validate_json,
    write_plan_json,
)
from tests.reconcile.conftest import a_day_of_changes


def test_plan_json_validates_and_round_trips(tmp_path: Path) -> None:
    plan = a_day_of_changes()
    json_path = write_plan_json(plan, tmp_path / "plan.json")
    data = json.loads(json_path.read_text())
    assert validate_json(data) == []
    assert data["format_version"] == 1 and data["desired_commit"] is None
    assert data["counts"]["create_user"] == 1 and data["counts"]["delete_user"] == 1
    back = read_plan(json_path)
    assert back.ids() == plan.ids()
    assert plan_to_json(back) == data
    assert plan_from_json(data) == back


def test_plan_json_keeps_each_persons_business_unit(tmp_path: Path) -> None:
    plan = a_day_of_changes()
    back = read_plan(write_plan_json(plan, tmp_path / "plan.json"))
    assert back.business_units == {
        "E1": "store-02",
        "E2": "store-01",
        "E3": "store-01",
        "E4": "store-01",
    }


def test_a_corrupted_plan_is_refused_naming_the_field(tmp_path: Path) -> None:
    data = plan_to_json(a_day_of_changes())
    data["actions"][0]["kind"] = "drop_database"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as caught:
        read_plan(path)
    assert "actions/0/kind" in str(caught.value) and "plan.json" in str(caught.value)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_plan(path)


def test_plan_json_never_holds_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEAKAP_TOKEN", "tok-secret-123")
    json_path = write_plan_json(a_day_of_changes(), tmp_path / "plan.json")
    assert "tok-secret-123" not in json_path.read_text()


def test_plan_json_holds_contacts_unmasked_for_apply() -> None:
    """The machine plan is what apply executes: it carries the values, not their masks."""
    text = dumps(a_day_of_changes())
    assert "new.hire@example.com" in text and "+31612345678" in text


def test_shared_logins_validate_and_round_trip(tmp_path: Path) -> None:
    from dataclasses import replace

    plan = replace(a_day_of_changes(), shared_logins=(("E4", "E9"), ("E5", "unmanaged account")))
    data = json.loads(write_plan_json(plan, tmp_path / "plan.json").read_text())
    assert validate_json(data) == []
    assert data["shared_logins"] == [["E4", "E9"], ["E5", "unmanaged account"]]
    assert read_plan(tmp_path / "plan.json").shared_logins == plan.shared_logins
    data["shared_logins"] = [["E4"]]  # a group of one shares nothing
    assert validate_json(data) != []
