"""An apply stopped part-way resumes: the next apply of the same reviewed plan carries out
only what the first did not, and the one-time codes of accounts created before the stop are
on a sheet (they cannot be read back from Speakap)."""

from __future__ import annotations

import pytest

from reconciler.reconcile.journal import done_actions
from reconciler.reconcile.run import ApplyRequest, PlanRequest, apply, plan
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.sheets import parse_sheet
from tests.reconcile.world import World

PRINTABLE = person("A1", email=None, invite_channel="printable")  # sorts first: created first
STAFF = [person(f"E{i:02}") for i in range(1, 9)]


def stop_after_three_creates(phase: str, finished: int, total: int | None) -> None:
    if phase == "creates" and finished >= 3:
        raise KeyboardInterrupt


def test_a_resume_carries_out_only_what_the_stopped_run_did_not(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, sim = sim_world
    one_at_a_time = world.speakap_yaml.replace("concurrency: 8", "concurrency: 1")
    (world.state / "speakap.yaml").write_text(one_at_a_time)
    world.commit([PRINTABLE, *STAFF])
    reviewed = plan(PlanRequest(world.state, world.out)).plan
    request = ApplyRequest(world.state, world.out, world.out / "plan.json")
    notices: list[str] = []
    sim.knobs.latency = 0.05  # the single worker cannot outrun the stop on a busy machine
    with pytest.raises(KeyboardInterrupt):
        apply(request, progress=stop_after_three_creates, notify=notices.append)
    sim.knobs.latency = 0.0
    [journal] = (world.out / "journal").glob("*.jsonl")
    first = done_actions(journal)
    assert {"create_user:A1", "create_user:E01", "create_user:E02"} <= first
    assert "create_user:E08" not in first
    assert [n for n in notices if n.startswith("printable invites: ")]
    [card] = parse_sheet((world.out / "invites" / "invites-store-01.html").read_text()).cards
    assert card.login == "A1" and card.code

    second = apply(request)
    assert second.ok
    redone = {r.action_id for r in second.summary.results}
    assert {"create_user:E08", "add_membership:A1:sales"} <= redone
    assert not redone & first and redone | first <= reviewed.ids()
    assert second.invite_sheets == ()  # A1's sheet came from the stopped run
    assert list((world.out / "journal").glob("*.jsonl")) == [journal]  # one plan, one journal
    assert len(world.users()) == len(STAFF) + 1
    assert plan(PlanRequest(world.state, world.out)).plan.actions == ()
