"""An apply whose last-applied tag cannot be pushed keeps its summary: the outcome and
summary.json say everything landed and the tag did not move, and carry why."""

from __future__ import annotations

import json

from reconciler.errors import StateError
from reconciler.reconcile.run import ApplyRequest, PlanRequest, apply, plan
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.world import World


def test_a_refused_tag_push_is_in_the_outcome_and_the_summary_is_written(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.commit([person("E01"), person("E02")])
    world.repo.create_remote("origin", str(world.root / "no-such-remote.git"))
    planned = plan(PlanRequest(world.state, world.out))
    outcome = apply(ApplyRequest(world.state, world.out, world.out / "plan.json"))
    assert outcome.summary.ok and not outcome.ok
    assert isinstance(outcome.not_moved, StateError)
    assert "could not push" in str(outcome.not_moved)
    saved = json.loads(outcome.summary_file.read_text())
    assert saved["ok"] is True and saved["done"] == len(planned.plan.actions)
    assert saved["last_applied_moved"] is False
    assert set(world.users()) == {"E01", "E02"}
