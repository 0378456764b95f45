"""The plan use case, called directly: it computes the plan of the committed desired state
against the live network, writes plan.json and plan.md, and hands back the plan with the
names a view needs; a blocked plan is written all the same and refused on request."""

from __future__ import annotations

import pytest

from reconciler.desired.state import write_state
from reconciler.errors import BlockedError
from reconciler.reconcile.plan_json import read_plan
from reconciler.reconcile.run import PlanRequest, plan
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.world import World

STAFF = [person(f"E{i:02}") for i in range(1, 13)]


def test_a_plan_names_its_commit_and_is_written_as_computed(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    head = world.commit(STAFF[:3])
    planned = plan(PlanRequest(world.state, world.out))
    assert planned.plan.desired_commit == head
    assert planned.plan.counts()["create_user"] == 3
    assert [p.name for p in planned.written] == [
        "plan.json",
        "plan.md",
        "plan.html",
        "step-summary.md",
    ]
    assert read_plan(planned.written[0]).ids() == planned.plan.ids()
    assert planned.names["E02"] == "GivenE02 FamilyE02"
    planned.raise_if_blocked()  # nothing blocks three hires


def test_a_plan_of_uncommitted_files_is_no_commits_plan(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.commit(STAFF[:2])
    write_state(world.state, STAFF[:3], 1)
    assert plan(PlanRequest(world.state, world.out)).plan.desired_commit is None


def test_a_leaver_keeps_a_name_from_the_last_applied_state(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.sync(STAFF[:3], "day 0")
    world.commit(STAFF[:2], "E03 leaves")
    planned = plan(PlanRequest(world.state, world.out))
    assert [a.id for a in planned.plan.actions] == ["delete_user:E03"]
    assert planned.names["E03"] == "GivenE03 FamilyE03"


def test_a_blocked_plan_is_written_and_refused_on_request(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.sync(STAFF, "day 0")
    world.commit(STAFF[:9], "three of twelve leave")  # 25% offboarded, the limit is 10%
    planned = plan(PlanRequest(world.state, world.out))
    assert planned.plan.blocked
    assert read_plan(world.out / "plan.json").blocked
    with pytest.raises(BlockedError, match="guard 'offboard'"):
        planned.raise_if_blocked()
    overridden = plan(PlanRequest(world.state, world.out, allow_mass_changes=True))
    assert not overridden.plan.blocked and overridden.plan.allow_mass_changes
    overridden.raise_if_blocked()


def test_a_plan_made_with_the_live_fetch_in_a_child_process_is_byte_identical(
    sim_world: tuple[World, SimulatorHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.speakap import live_fetch

    world, _ = sim_world
    world.sync(STAFF[:8], "day 0")
    world.commit([*STAFF[:6], *STAFF[9:]], "two leave, three are hired")
    written: dict[bool, dict[str, bytes]] = {}
    for fork in (False, True):
        # the simulator serves on threads here, so only a forced fork forks
        monkeypatch.setattr(live_fetch, "can_fork", lambda fork=fork: fork)
        out = world.out / f"fork-{fork}"
        planned = plan(PlanRequest(world.state, out, allow_mass_changes=True))
        written[fork] = {p.name: p.read_bytes() for p in planned.written}
    assert written[True] == written[False]
    assert b"delete_user:E07" in written[True]["plan.json"]
