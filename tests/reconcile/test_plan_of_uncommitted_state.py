"""A plan of uncommitted desired state is not the plan of HEAD: plan.json says so."""

from __future__ import annotations

from reconciler.desired.state import write_state
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.world import World


def test_a_plan_of_uncommitted_files_names_no_commit(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    head = world.commit([person("E1"), person("E2")])
    assert world.plan() == 2
    assert world.plan_json()["desired_commit"] == head

    write_state(world.state, [person("E1"), person("E2"), person("E3")], 1)  # not committed
    assert world.plan() == 2
    assert world.plan_json()["desired_commit"] is None
    assert "uncommitted" in (world.out / "plan.md").read_text()
