"""Apply orders the work (phases, parents first) and runs it concurrently; which actions travel
together is the backend's call: apply hands it each batch the backend made, and journals the
batch's results as soon as it returns."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from reconciler.model import Action, ActionResult, LiveSnapshot, OrgUnit, Person
from reconciler.reconcile.apply import ApplyOptions, apply_plan
from reconciler.reconcile.journal import Journal, read_journal
from reconciler.reconcile.plan import compute_plan
from tests.reconcile.conftest import desired, live, person


class PairingBackend:
    """A backend that carries out memberships two at a time and records every call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self._lock = threading.Lock()

    def fetch_snapshot(self) -> LiveSnapshot:
        return LiveSnapshot(users=(), groups=())

    def batches(self, actions: Sequence[Action]) -> list[list[Action]]:
        if actions[0].kind not in ("add_membership", "remove_membership"):
            return [[action] for action in actions]
        return [list(actions[i : i + 2]) for i in range(0, len(actions), 2)]

    def execute(
        self, actions: Sequence[Action], people: dict[str, Person], units: dict[str, OrgUnit]
    ) -> list[ActionResult]:
        with self._lock:
            self.calls.append([a.id for a in actions])
        return [a.result(True) for a in actions]


def test_apply_sends_the_backend_exactly_the_batches_it_made(tmp_path: Path) -> None:
    state = desired(*(person(f"E{n}") for n in range(5)))
    plan = compute_plan(state, live([]), None)
    joins = [a.id for a in plan.actions if a.kind == "add_membership"]
    assert len(joins) == 10  # five people, each in store-01 and sales
    backend = PairingBackend()
    with Journal(tmp_path / "journal.jsonl") as journal:
        summary = apply_plan(plan, backend, state, journal, options=ApplyOptions(concurrency=3))
    assert summary.ok and len(summary.results) == len(plan.actions)
    membership_calls = [call for call in backend.calls if call[0].startswith("add_membership")]
    assert sorted(membership_calls) == sorted(joins[i : i + 2] for i in range(0, 10, 2))
    assert all(len(call) == 1 for call in backend.calls if call not in membership_calls)
    journaled = [r["action"] for r in read_journal(tmp_path / "journal.jsonl") if "action" in r]
    assert sorted(journaled) == sorted(plan.ids())
