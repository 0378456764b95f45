"""The apply use case, called directly: it carries out the reviewed plan and returns what it
did (the summary, the sheets, the tag), refuses a stale or blocked plan before changing
anything, and asks ``confirm`` about a plan nobody reviewed."""

from __future__ import annotations

import json

import pytest

from reconciler.desired.last_applied import desired_commit, read_last_applied
from reconciler.errors import ApplyDeclined, BlockedError
from reconciler.reconcile.plan import PHASES
from reconciler.reconcile.run import ApplyRequest, PlanOutcome, PlanRequest, apply, plan
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.world import World

STAFF = [person(f"E{i:02}") for i in range(1, 13)]
PRINTABLE = person("P1", email=None, invite_channel="printable")


def reviewed(world: World) -> ApplyRequest:
    return ApplyRequest(world.state, world.out, world.out / "plan.json")


def test_an_applied_plan_reports_what_it_did_and_moves_the_tag(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.commit([*STAFF[:3], PRINTABLE])
    planned = plan(PlanRequest(world.state, world.out))
    seen: list[tuple[str, int, int | None]] = []
    outcome = apply(reviewed(world), progress=lambda *step: seen.append(step))
    assert outcome.ok and outcome.summary.ok
    assert {r.action_id for r in outcome.summary.results} == planned.plan.ids()
    assert outcome.summary.counts()["create_user"] == {"done": 4, "failed": 0}
    created = {r.employee_id: r for r in outcome.summary.results if r.kind == "create_user"}
    assert created["P1"].login == "P1" and created["E01"].login == "e01@example.com"
    assert [p.name for p in outcome.invite_sheets] == ["invites-store-01.html"]
    assert (outcome.invites_with_code, outcome.invites_without_code) == (1, 0)
    assert outcome.last_applied_moved
    assert read_last_applied(world.state) is not None
    assert json.loads(outcome.summary_file.read_text()) == outcome.to_json()
    phases = [name for name, _ in PHASES]
    assert {task for task, _, _ in seen} - set(phases) == {"fetch users", "fetch groups"}
    steps = [step for step in seen if step[0] in phases]
    order = [phases.index(phase) for phase, _, _ in steps]
    assert order == sorted(order) and steps[-1][1] == steps[-1][2]
    assert plan(PlanRequest(world.state, world.out)).plan.actions == ()
    assert desired_commit(world.state) == outcome.plan.desired_commit


def test_a_stale_plan_is_refused_before_anything_changes(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.sync(STAFF[:3], "day 0")
    world.commit([*STAFF[:3], person("E13")], "a hire")
    plan(PlanRequest(world.state, world.out))
    e01 = world.users()["E01"]
    world.client.patch(  # someone takes E01 out of sales by hand after the review
        "/Groups",
        world.group_id("sales"),
        [{"op": "remove", "path": f'members[value eq "{e01["id"]}"]'}],
    )
    journals = set((world.out / "journal").glob("*.jsonl"))
    with pytest.raises(BlockedError, match=r"stale plan.*add_membership:E01:sales"):
        apply(reviewed(world))
    assert "E13" not in world.users()
    assert set((world.out / "journal").glob("*.jsonl")) == journals  # no run was started


def test_an_unreviewed_plan_is_shown_to_confirm_and_a_no_changes_nothing(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.commit(STAFF[:2])
    shown: list[PlanOutcome] = []

    def decline(planned: PlanOutcome) -> bool:
        shown.append(planned)
        return False

    with pytest.raises(ApplyDeclined, match="aborted"):
        apply(ApplyRequest(world.state, world.out), confirm=decline)
    assert [p.plan.counts()["create_user"] for p in shown] == [2]
    assert shown[0].names["E01"] == "GivenE01 FamilyE01"
    assert world.users() == {}
    assert not (world.out / "summary.json").exists()
    outcome = apply(ApplyRequest(world.state, world.out), confirm=lambda _: True)
    assert outcome.ok and set(world.users()) == {"E01", "E02"}


def test_a_blocked_plan_is_refused_whatever_confirm_says(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.sync(STAFF, "day 0")
    world.commit(STAFF[:9], "three of twelve leave")
    shown: list[PlanOutcome] = []

    def approve(planned: PlanOutcome) -> bool:
        shown.append(planned)
        return True

    with pytest.raises(BlockedError, match="guard 'offboard'"):
        apply(ApplyRequest(world.state, world.out), confirm=approve)
    assert len(shown) == 1 and shown[0].plan.blocked  # shown, so the operator sees why
    assert all(u["active"] for u in world.users().values())
