"""When everything landed but desired-state/ holds uncommitted changes, apply still exits 0,
prints a warning that the last-applied tag did not move and why, and summary.json records
the reason; a clean apply moves the tag and records no reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reconciler.desired.documents import validator
from reconciler.desired.last_applied import read_last_applied
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.world import World

STAFF = [person(f"E{i:02}") for i in range(1, 4)]


def summary_of(world: World) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((world.out / "summary.json").read_text())
    assert list(validator("apply-summary").iter_errors(data)) == []
    return data


def test_an_apply_of_a_dirty_state_warns_that_the_tag_stays_and_records_why(
    sim_world: tuple[World, SimulatorHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    world, _ = sim_world
    world.commit(STAFF)
    assert world.plan() == 2
    policy = world.state / "policy.yaml"
    policy.write_text(policy.read_text() + "# a note nobody committed\n")
    capsys.readouterr()
    assert world.apply() == 0
    err = capsys.readouterr().err
    assert "warning: the last-applied tag did not move: desired-state/ has uncommitted" in err
    summary = summary_of(world)
    assert summary["ok"] is True and summary["last_applied_moved"] is False
    assert "uncommitted changes" in str(summary["last_applied_not_moved_reason"])
    assert read_last_applied(world.state) is None


def test_a_clean_apply_moves_the_tag_and_records_no_reason(
    sim_world: tuple[World, SimulatorHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    world, _ = sim_world
    world.sync(STAFF)
    assert "did not move" not in capsys.readouterr().err
    summary = summary_of(world)
    assert summary["last_applied_moved"] is True
    assert summary["last_applied_not_moved_reason"] is None
