"""What apply leaves behind matches its schema: ``out/summary.json`` (apply-summary) and every
line of ``out/journal/<plan id>.jsonl`` (journal), after a clean apply and after an outage; and
the journal reader skips a damaged line (saying which) without losing the records after it."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.desired.documents import validator
from reconciler.model import ActionResult
from reconciler.reconcile.journal import Journal, done_actions, plan_id, read_journal
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.world import World

STAFF = [person(f"E{i:02}", unit="store-01" if i % 2 else "store-02") for i in range(1, 11)]
PRINTABLE = [person("P1", email=None, invite_channel="printable")]


def errors(name: str, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(name).iter_errors(document)
    ]


def journal_records(out: Path) -> tuple[str, list[dict[str, Any]]]:
    (path,) = (out / "journal").glob("*.jsonl")
    lines = path.read_text(encoding="utf-8").splitlines()
    return path.stem, [json.loads(line) for line in lines]


def test_a_first_sync_with_a_printable_invite_leaves_a_summary_and_journal_per_schema(
    sim_world: tuple[World, SimulatorHandle],
) -> None:
    world, _ = sim_world
    world.sync([*STAFF, *PRINTABLE])
    summary = json.loads((world.out / "summary.json").read_text(encoding="utf-8"))
    assert errors("apply-summary", summary) == []
    assert summary["ok"] and summary["counts"]["create_user"]["done"] == len(STAFF) + 1
    assert summary["printable_invites"]["with_code"] == 1 and summary["invite_sheets"]

    plan_id, records = journal_records(world.out)
    assert summary["plan_id"] == plan_id
    assert [errors("journal", r) for r in records] == [[] for _ in records]
    events = [r["event"] for r in records]
    assert events[0] == "begin" and events[-1] == "end" and "done" in events
    assert records[0]["plan"] == plan_id
    stamps = [datetime.fromisoformat(r["at"]) for r in records]
    assert all(t.tzinfo is not None for t in stamps) and stamps == sorted(stamps)


def test_a_resume_reads_past_a_damaged_line_and_a_torn_last_line(
    sim_world: tuple[World, SimulatorHandle], caplog: pytest.LogCaptureFixture
) -> None:
    world, _ = sim_world
    world.commit(STAFF[:3])
    assert world.plan() == 2
    reviewed = world.plan_json()
    ids = [a["id"] for a in reviewed["actions"]]
    path = world.out / "journal" / f"{plan_id(ids, reviewed['desired_commit'])}.jsonl"
    last = ids[-1]  # recorded done by an earlier, killed run: this one must skip it
    with Journal(path) as journal:
        journal.record("begin", plan=path.stem, actions=len(ids), skipped=0)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("####\n")
    with Journal(path) as journal:
        journal.result(ActionResult(last, ok=True, kind=reviewed["actions"][-1]["kind"]))
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"event": "done", "act')
    with caplog.at_level(logging.WARNING, logger="reconciler.reconcile.journal"):
        assert world.apply() == 0
    summary = json.loads((world.out / "summary.json").read_text(encoding="utf-8"))
    assert (summary["skipped"], summary["done"]) == (1, len(ids) - 1)
    assert [r.getMessage() for r in caplog.records] == [
        f"{path}:2: journal line skipped: not valid JSON (Expecting value)",
        f"{path}:4: journal line skipped: torn last line (an apply was killed mid-write)",
    ]


def test_an_outage_leaves_failed_and_confirm_skipped_records_per_schema(
    sim_world: tuple[World, SimulatorHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    world, sim = sim_world
    execute = ScimBackend.execute

    def outage(self: ScimBackend, actions: Any, *args: Any) -> list[ActionResult]:
        sim.server.knobs = dataclasses.replace(sim.server.knobs, fault_rate=1.0, faults=("500",))
        return execute(self, actions, *args)

    monkeypatch.setattr(ScimBackend, "execute", outage)
    world.commit(STAFF[:3])
    assert world.plan() == 2
    assert world.apply() == 1
    summary = json.loads((world.out / "summary.json").read_text(encoding="utf-8"))
    assert errors("apply-summary", summary) == []
    assert summary["failures"] and summary["failures_confirmed"] is False

    _, records = journal_records(world.out)
    assert [errors("journal", r) for r in records] == [[] for _ in records]
    assert {"failed", "confirm_skipped", "end"} <= {r["event"] for r in records}


def test_the_journal_schema_refuses_a_record_apply_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "j.jsonl"
    with Journal(path) as journal:
        journal.result(ActionResult("create_user:E1", ok=True, created_id="u1", kind="create_user"))
    (record,) = read_journal(path)
    assert errors("journal", record) == []
    assert errors("journal", {**record, "event": "finished"})
    assert errors("journal", {**record, "created_id": 7})
    assert errors("journal", {k: v for k, v in record.items() if k != "action"})


def test_a_damaged_middle_line_is_skipped_by_line_and_later_records_still_count(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "journal" / "p.jsonl"
    with Journal(path) as journal:
        journal.record("begin", plan="p", actions=3, skipped=0)
        journal.result(ActionResult("create_user:E1", ok=True, created_id="u1", kind="create_user"))
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\x00\x00garbage from a bad disk\n")  # line 3
        handle.write('{"event": "done"}\n')  # line 4: done, but of what?
        handle.write("[1, 2]\n")  # line 5
    with Journal(path) as journal:
        journal.result(ActionResult("create_user:E2", ok=True, created_id="u2", kind="create_user"))
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"event": "done", "action": "create_user:E3"')  # torn: killed mid-write
    with caplog.at_level(logging.WARNING, logger="reconciler.reconcile.journal"):
        assert done_actions(path) == {"create_user:E1", "create_user:E2"}
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        f"{path}:3: journal line skipped: not valid JSON (Expecting value)",
        f"{path}:4: journal line skipped: a 'done' record without an 'action'",
        f"{path}:5: journal line skipped: not a JSON object",
        f"{path}:7: journal line skipped: torn last line (an apply was killed mid-write)",
    ]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    outcomes=st.lists(st.booleans(), min_size=1, max_size=12),
    cut=st.floats(min_value=0.0, max_value=1.0),
)
def test_a_journal_cut_anywhere_by_a_kill_reads_as_its_complete_lines(
    tmp_path_factory: pytest.TempPathFactory, outcomes: list[bool], cut: float
) -> None:
    path = tmp_path_factory.mktemp("cut") / "p.jsonl"
    with Journal(path) as journal:
        journal.record("begin", plan="p", actions=len(outcomes), skipped=0)
        for i, ok in enumerate(outcomes):
            journal.result(
                ActionResult(
                    f"create_user:E{i}", ok=ok, detail="" if ok else "409", kind="create_user"
                )
            )
    data = path.read_bytes()
    kept = data[: int(len(data) * cut)]
    path.write_bytes(kept)
    complete = kept.decode("utf-8", errors="replace").splitlines(keepends=True)
    whole = [json.loads(line) for line in complete if line.endswith("\n")]
    assert read_journal(path) == whole
    assert all(errors("journal", r) == [] for r in whole)
    assert done_actions(path) == {r["action"] for r in whole if r["event"] == "done"}
