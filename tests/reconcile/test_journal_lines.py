"""A result's journal line is the text ``json.dumps`` gives its record with sorted keys, one
timestamp per batch, and never holds the invite code."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reconciler.model import ActionResult
from reconciler.reconcile.journal import Journal, read_journal, result_line

texts = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@given(texts, st.booleans(), texts, st.none() | texts, st.none() | texts)
def test_a_result_line_is_the_records_sorted_json(
    action: str, ok: bool, detail: str, created: str | None, code: str | None
) -> None:
    result = ActionResult(action, ok, detail, created, code, kind="create_user")
    at = "2026-12-04T20:00:00.123+00:00"
    fields = {"action": action, "detail": detail, "created_id": created}
    line = result_line(result, at)
    assert line == Journal._line("done" if ok else "failed", fields, at)
    record = json.loads(line)
    assert record["action"] == action and record["created_id"] == created
    assert set(record) == {"action", "at", "created_id", "detail", "event"}  # no invite code


def test_a_batch_of_results_is_one_line_each_with_one_time(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    with Journal(path) as journal:
        journal.results(
            [
                ActionResult(
                    f"create_user:E{i}",
                    i % 2 == 0,
                    "Bulk POST: HTTP 201",
                    f"u{i}",
                    kind="create_user",
                )
                for i in range(5)
            ]
        )
    rows = read_journal(path)
    assert [r["event"] for r in rows] == ["done", "failed", "done", "failed", "done"]
    assert len({r["at"] for r in rows}) == 1 and rows[3]["created_id"] == "u3"
