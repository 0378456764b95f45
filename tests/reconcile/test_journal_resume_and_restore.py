"""A managed membership removed by hand is put back every time, not only the first: a later
run of the same plan (same commit, same actions) is a new run, not a resume of a finished one,
so the journal of the finished run does not make it skip the restore."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.model import ActionResult
from reconciler.reconcile.journal import Journal, done_actions
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.world import World

STAFF = [person(f"E{i:02}") for i in range(1, 4)]


def remove_by_hand(world: World, eid: str, key: str) -> None:
    user = world.users()[eid]
    world.client.patch(
        "/Groups",
        world.group_id(key),
        [{"op": "remove", "path": f'members[value eq "{user["id"]}"]'}],
    )


def restore(world: World, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert world.plan() == 2
    assert [a["id"] for a in world.plan_json()["actions"]] == ["add_membership:E01:sales"]
    capsys.readouterr()
    assert world.apply("--output", "json") == 0
    summary: dict[str, Any] = json.loads(capsys.readouterr().out)
    return summary


def test_a_membership_removed_by_hand_twice_is_put_back_twice(
    sim_world: tuple[World, SimulatorHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    world, _ = sim_world
    world.sync(STAFF, "day 0")
    remove_by_hand(world, "E01", "sales")
    first = restore(world, capsys)
    assert first["done"] == 1 and first["skipped"] == 0
    assert "sales" in world.groups_of(world.users()["E01"])
    remove_by_hand(world, "E01", "sales")  # again, the desired state unchanged
    second = restore(world, capsys)
    assert second["done"] == 1 and second["skipped"] == 0
    assert "sales" in world.groups_of(world.users()["E01"])
    assert world.plan() == 0


def test_a_resume_skips_what_every_unfinished_run_did_and_a_finished_run_forgets_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.jsonl"
    with Journal(path) as journal:
        journal.record("begin", plan="p")  # killed after A
        journal.result(ActionResult("create_user:A", ok=True, kind="create_user"))
        journal.record("begin", plan="p")  # the resume, killed after B
        journal.result(ActionResult("create_user:B", ok=True, kind="create_user"))
    assert done_actions(path) == {"create_user:A", "create_user:B"}
    with Journal(path) as journal:
        journal.record("begin", plan="p")  # the second resume finishes
        journal.result(ActionResult("create_user:C", ok=True, kind="create_user"))
        journal.record("end", ok=True)
        journal.result(
            ActionResult(
                "create_user:D", ok=True, detail="confirmed on re-read", kind="create_user"
            )
        )
    assert done_actions(path) == set()
    with Journal(path) as journal:
        journal.record("begin", plan="p")  # a later run of the same plan, killed after E
        journal.result(ActionResult("add_membership:E:sales", ok=True, kind="add_membership"))
    assert done_actions(path) == {"add_membership:E:sales"}
