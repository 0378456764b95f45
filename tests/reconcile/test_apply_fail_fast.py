"""Apply fails fast: ``fail_fast`` failures in a row of one action kind with the same error
stop that phase and every later one; what was done stays done and journaled, and the summary
says why and how many actions were not attempted. Different errors, a success in between, or
``fail_fast: 0`` do not stop it."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from reconciler.desired.documents import validator
from reconciler.model import Action, ActionResult, DesiredState, LiveSnapshot, OrgUnit, Person
from reconciler.reconcile.apply import ApplyOptions, ApplySummary, apply_plan
from reconciler.reconcile.journal import Journal, read_journal
from reconciler.reconcile.plan import Plan, compute_plan
from reconciler.reconcile.run import ApplyRequest, PlanRequest, apply, plan
from reconciler.speakap.simulator import Network, SimulatorHandle
from reconciler.speakap.simulator.store import ScimProblem
from tests.reconcile.conftest import UNITS, desired, person
from tests.reconcile.world import World

STAFF = [person(f"E{i:03}") for i in range(40)]
Verdict = Callable[[Action, int], str | None]  # (action, how many of its kind ran) -> error


class ScriptedBackend:
    """Every action succeeds unless ``verdict`` names an error for it; records what ran."""

    def __init__(self, verdict: Verdict) -> None:
        self.verdict = verdict
        self.ran: list[Action] = []
        self._lock = threading.Lock()

    def fetch_snapshot(self) -> LiveSnapshot:
        return LiveSnapshot(users=(), groups=())

    def batches(self, actions: Sequence[Action]) -> list[list[Action]]:
        return [[a] for a in actions]

    def execute(
        self, actions: Sequence[Action], people: dict[str, Person], org_units: dict[str, OrgUnit]
    ) -> list[ActionResult]:
        results = []
        for action in actions:
            with self._lock:
                self.ran.append(action)
                count = sum(1 for a in self.ran if a.kind == action.kind)
            error = self.verdict(action, count)
            results.append(action.result(error is None, error or ""))
        return results


def first_sync_plan() -> tuple[DesiredState, Plan]:
    state = desired(*STAFF)
    return state, compute_plan(state, LiveSnapshot(users=(), groups=()), None)


def run_apply(
    tmp_path: Path, verdict: Verdict, **options: int
) -> tuple[ApplySummary, list[Action]]:
    state, planned = first_sync_plan()
    backend = ScriptedBackend(verdict)
    with Journal(tmp_path / "journal.jsonl") as journal:
        summary = apply_plan(
            planned,
            backend,
            state,
            journal,
            options=ApplyOptions(**options),
            plan_id="0123456789abcdef",
        )
    return summary, backend.ran


def refused(action: Action, _count: int) -> str | None:
    if action.kind != "create_user":
        return None
    return f"POST /Users: HTTP 400 invalidSyntax: unknown attribute (user {action.employee_id})"


def test_ten_creates_failing_the_same_way_stop_the_run_before_any_later_phase(
    tmp_path: Path,
) -> None:
    summary, ran = run_apply(tmp_path, refused, concurrency=1)
    assert [a.kind for a in ran].count("create_user") == 10
    assert {a.kind for a in ran} == {"create_org_unit", "create_user"}
    assert summary.stopped is not None
    assert "10 create_user actions in a row failed with the same error" in summary.stopped
    assert len(summary.failures) == 10
    assert not summary.ok
    planned_ids = first_sync_plan()[1].ids()
    done_or_failed = {r.action_id for r in summary.results}
    assert set(summary.not_attempted) == planned_ids - done_or_failed
    assert any(a.startswith("add_membership:") for a in summary.not_attempted)
    document = summary.to_json()
    assert document["stopped"] == summary.stopped
    assert document["not_attempted"] == len(summary.not_attempted)


def test_the_journal_keeps_what_was_done_and_records_the_stop(tmp_path: Path) -> None:
    summary, _ = run_apply(tmp_path, refused, concurrency=1)
    records = read_journal(tmp_path / "journal.jsonl")
    events = [r["event"] for r in records]
    assert events[-2:] == ["stopped", "end"]
    assert events.count("done") == len(UNITS)  # the org units created before the stop
    assert records[-2]["not_attempted"] == len(summary.not_attempted)
    assert all(list(validator("journal").iter_errors(r)) == [] for r in records)


def test_with_concurrency_the_stop_drops_the_work_not_yet_started(tmp_path: Path) -> None:
    summary, ran = run_apply(tmp_path, refused, concurrency=4)
    creates = [a for a in ran if a.kind == "create_user"]
    assert 10 <= len(creates) <= 10 + 4
    assert summary.stopped is not None and summary.not_attempted


def test_errors_that_differ_do_not_stop_the_run(tmp_path: Path) -> None:
    def two_errors(action: Action, count: int) -> str | None:
        if action.kind != "create_user":
            return None
        return "HTTP 400 invalidValue: bad email" if count % 2 else "HTTP 400 tooMany: limit"

    summary, ran = run_apply(tmp_path, two_errors, concurrency=1)
    assert summary.stopped is None
    assert [a.kind for a in ran].count("create_user") == len(STAFF)


def test_a_success_ends_the_streak(tmp_path: Path) -> None:
    def every_tenth_lands(action: Action, count: int) -> str | None:
        if action.kind != "create_user" or count % 10 == 0:
            return None
        return f"HTTP 400 invalidValue: rejected (user {action.employee_id})"

    summary, ran = run_apply(tmp_path, every_tenth_lands, concurrency=1)
    assert summary.stopped is None
    assert [a.kind for a in ran].count("create_user") == len(STAFF)


def test_fail_fast_zero_never_stops(tmp_path: Path) -> None:
    summary, ran = run_apply(tmp_path, refused, concurrency=1, fail_fast=0)
    assert summary.stopped is None
    assert [a.kind for a in ran].count("create_user") == len(STAFF)


def test_a_server_refusing_every_create_is_stopped_per_speakap_yaml_and_the_summary_says_why(
    sim_world: tuple[World, SimulatorHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, sim = sim_world
    (world.state / "speakap.yaml").write_text(
        world.speakap_yaml.replace("concurrency: 8", "concurrency: 2") + "fail_fast: 5\n"
    )
    world.commit(STAFF)
    plan(PlanRequest(world.state, world.out))
    create = Network.create

    def refuse_users(network: Network, kind: str, body: dict[str, Any]) -> dict[str, Any]:
        if kind == "Users":
            raise ScimProblem(400, "this network refuses new accounts today", "invalidValue")
        return create(network, kind, body)  # type: ignore[arg-type]

    monkeypatch.setattr(Network, "create", refuse_users)
    outcome = apply(ApplyRequest(world.state, world.out, world.out / "plan.json"))
    summary = json.loads(outcome.summary_file.read_text(encoding="utf-8"))
    assert list(validator("apply-summary").iter_errors(summary)) == []
    assert not summary["ok"] and "fail fast: 5 create_user" in summary["stopped"]
    assert "refuses new accounts today" in summary["stopped"]
    assert summary["counts"]["create_user"]["failed"] <= 5 + 2
    assert summary["not_attempted"] >= len(STAFF) - 7
    assert sim.network.users == {}
    assert not outcome.last_applied_moved


def test_uniqueness_conflicts_are_one_person_s_data_and_never_stop_the_run(
    tmp_path: Path,
) -> None:
    """25 hires with one shared mailbox as their login: each create after the first is a 409,
    which says nothing about the server taking the plan; the run goes on to its end."""

    def shared_mailbox(action: Action, count: int) -> str | None:
        if action.kind != "create_user" or count == 1:
            return None
        return 'POST /Users: HTTP 409 uniqueness: userName "winkel@example.test" is taken'

    summary, ran = run_apply(tmp_path, shared_mailbox, concurrency=1)
    assert summary.stopped is None and not summary.not_attempted
    assert [a.kind for a in ran].count("create_user") == len(STAFF)
    assert len([f for f in summary.failures if f.kind == "create_user"]) == len(STAFF) - 1
    assert "add_membership" in {a.kind for a in ran}  # the later phases ran
