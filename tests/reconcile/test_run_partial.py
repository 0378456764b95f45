"""A staged rollout end to end: ``plan --only`` writes a partial plan.json (marked, and only
the selected people's actions), ``apply`` of it recomputes the same partial plan for the
stale check, records it in the journal and summary, and leaves the last-applied tag; a later
full plan holds only what is left."""

from __future__ import annotations

import json

import pytest

from reconciler.desired.documents import validator
from reconciler.desired.last_applied import read_last_applied
from reconciler.errors import BlockedError, InputError
from reconciler.reconcile.journal import read_journal
from reconciler.reconcile.run import ApplyRequest, PlanRequest, apply, plan
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.world import World

STORE_01 = [person(f"A{i}", "store-01") for i in range(1, 4)]
STORE_02 = [person(f"B{i}", "store-02") for i in range(1, 4)]


def test_plan_only_writes_a_partial_plan_with_only_their_actions(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.commit([*STORE_01, *STORE_02])
    planned = plan(PlanRequest(world.state, world.out, only=("A1", "unit:store-02")))
    data = json.loads((world.out / "plan.json").read_text())
    assert list(validator("plan").iter_errors(data)) == []
    assert data["partial"] == {"selectors": ["A1", "unit:store-02"], "people": 4}
    people = {a["employee_id"] for a in data["actions"] if a["employee_id"]}
    assert people == {"A1", "B1", "B2", "B3"}
    assert {a["kind"] for a in data["actions"] if not a["employee_id"]} == {"create_org_unit"}
    assert planned.plan.partial
    markdown = (world.out / "plan.md").read_text()
    assert "## speakap-sync plan (partial):" in markdown
    assert "Partial plan (--only A1, unit:store-02: 4 people selected)" in markdown
    page = (world.out / "plan.html").read_text()
    assert "<h1>speakap-sync plan (partial): " in page
    assert '<div class="alert partial"><strong>Partial plan (--only A1, unit:store-02' in page


def test_a_partial_apply_leaves_the_tag_and_the_full_plan_has_the_rest(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.sync(STORE_01[:1], "day 0")  # the tag is at day 0
    tag = read_last_applied(world.state)
    world.commit([*STORE_01, *STORE_02], "day 1")
    plan(PlanRequest(world.state, world.out, only=("unit:store-01",)))
    outcome = apply(ApplyRequest(world.state, world.out, world.out / "plan.json"))
    assert outcome.ok and not outcome.last_applied_moved
    assert read_last_applied(world.state) == tag
    assert set(world.users()) == {"A1", "A2", "A3"}
    summary = json.loads(outcome.summary_file.read_text())
    assert summary["partial"] == {"selectors": ["unit:store-01"], "people": 3}
    assert list(validator("apply-summary").iter_errors(summary)) == []
    begins = [
        r
        for j in (world.out / "journal").glob("*.jsonl")
        for r in read_journal(j)
        if r["event"] == "begin" and "partial" in r
    ]
    (begin,) = begins
    assert begin["partial"] == {"selectors": ["unit:store-01"], "people": 3}
    assert list(validator("journal").iter_errors(begin)) == []
    rest = plan(PlanRequest(world.state, world.out)).plan
    assert not rest.partial
    assert {a.employee_id for a in rest.actions if a.employee_id} == {"B1", "B2", "B3"}


def test_the_stale_check_compares_a_partial_plan_with_the_same_partial_recomputation(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.commit([*STORE_01, *STORE_02])
    plan(PlanRequest(world.state, world.out, only=("A1",)))
    world.client.create(  # someone adds B1 by hand: outside the selection, not stale
        "/Users",
        {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "b1-by-hand",
            "externalId": "B1",
            "name": {"givenName": "B", "familyName": "One"},
        },
    )
    outcome = apply(ApplyRequest(world.state, world.out, world.out / "plan.json"))
    assert outcome.ok and outcome.plan.only == ("A1",)
    assert {r.employee_id for r in outcome.summary.results if r.employee_id} == {"A1"}


def test_apply_only_on_a_reviewed_full_plan_carries_out_its_part(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.commit([*STORE_01, *STORE_02])
    plan(PlanRequest(world.state, world.out))
    request = ApplyRequest(world.state, world.out, world.out / "plan.json", only=("B2",))
    outcome = apply(request)
    assert outcome.ok and not outcome.last_applied_moved
    assert set(world.users()) == {"B2"}


def test_apply_only_beyond_a_reviewed_partial_plan_is_stale(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.commit([*STORE_01, *STORE_02])
    plan(PlanRequest(world.state, world.out, only=("A1",)))
    request = ApplyRequest(world.state, world.out, world.out / "plan.json", only=("B2",))
    with pytest.raises(BlockedError, match="create_user:B2") as raised:
        apply(request)
    said = str(raised.value)
    assert said.startswith("--only B2 reaches beyond the reviewed plan, made with --only A1:")
    assert "changed since review" not in said  # nothing changed: the selection differs
    assert world.users() == {}


def test_apply_only_within_a_reviewed_partial_plan_carries_out_that_part(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.commit([*STORE_01, *STORE_02])
    plan(PlanRequest(world.state, world.out, only=("unit:store-01",)))
    request = ApplyRequest(world.state, world.out, world.out / "plan.json", only=("A3",))
    outcome = apply(request)
    assert outcome.ok and outcome.plan.only == ("A3",)
    assert set(world.users()) == {"A3"}


def test_an_unknown_selector_is_a_clear_error_before_anything_is_written(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.commit(STORE_01)
    with pytest.raises(InputError, match=r"--only unit:store-99: org-units\.yaml declares no unit"):
        plan(PlanRequest(world.state, world.out, only=("unit:store-99",)))
    assert not (world.out / "plan.json").exists()


def test_the_cli_takes_repeated_only_options_and_names_a_bad_one(
    sim_world: tuple[World, SimulatorHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    world, _ = sim_world
    world.commit([*STORE_01, *STORE_02])
    assert world.plan("--only", "A2", "--only", "B3") == 2
    actions = world.plan_json()["actions"]
    assert {a["employee_id"] for a in actions if a["employee_id"]} == {"A2", "B3"}
    assert "Partial plan (--only A2, B3: 2 people selected)" in capsys.readouterr().out
    assert world.apply("--output", "json") == 0
    printed = capsys.readouterr()
    summary = json.loads(printed.out)
    assert summary["partial"]["selectors"] == ["A2", "B3"]
    assert summary["last_applied_moved"] is False
    assert "warning" not in printed.err  # a partial apply leaves the tag by design
    assert world.plan("--only", "Z9") == 1
    assert "--only Z9: no such employee id" in capsys.readouterr().err


def test_the_workflow_selector_reaches_apply_through_the_environment_split_at_spaces(
    sim_world: tuple[World, SimulatorHandle],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world, _ = sim_world
    world.commit([*STORE_01, *STORE_02])
    assert world.plan() == 2  # the reviewed full plan
    capsys.readouterr()
    monkeypatch.setenv("SPEAKAP_SYNC_ONLY", "unit:store-02  A1")
    assert world.apply("--output", "json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["partial"] == {"selectors": ["unit:store-02", "A1"], "people": 4}
    assert set(world.users()) == {"A1", "B1", "B2", "B3"}
    monkeypatch.setenv("SPEAKAP_SYNC_ONLY", "")  # a push: the input is empty, the whole plan
    assert world.apply("--output", "json") == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["partial"] is None and summary["last_applied_moved"] is True
    assert set(world.users()) == {"A1", "A2", "A3", "B1", "B2", "B3"}
