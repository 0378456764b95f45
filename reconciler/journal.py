"""The apply journal: an append-only JSON-lines record of every action carried out.

One file per reviewed plan (named by the plan's id), one record per line, ``fsync`` after each
record, so a killed apply leaves a journal that says exactly which actions finished. A rerun
with the same plan reads it and skips what is done. A torn last line (the process died in the
middle of a write) is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from reconciler.model import ActionResult


def plan_id(action_ids: Iterable[str], desired_commit: str | None) -> str:
    """A short, stable id of a reviewed plan: its commit and its set of action ids."""
    digest = hashlib.sha256((desired_commit or "uncommitted").encode())
    for action_id in sorted(action_ids):
        digest.update(b"\n" + action_id.encode())
    return digest.hexdigest()[:16]


class Journal:
    """Append records to ``path``; safe to call from several threads."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._handle = path.open("a", encoding="utf-8")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def record(self, event: str, **fields: Any) -> None:
        row = {"at": datetime.now(UTC).isoformat(timespec="milliseconds"), "event": event}
        row.update(fields)
        line = json.dumps(row, sort_keys=True, default=str) + "\n"
        with self._lock:
            self._handle.write(line)
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def result(self, result: ActionResult) -> None:
        self.record(
            "done" if result.ok else "failed",
            action=result.action_id,
            detail=result.detail,
            created_id=result.created_id,
        )

    def close(self) -> None:
        with self._lock:
            if not self._handle.closed:
                self._handle.close()


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Every complete record of a journal (none when it does not exist)."""
    if not path.exists():
        return []
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.endswith("\n"):
                break  # torn write of a killed process
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                break
    return rows


def done_actions(path: Path) -> set[str]:
    """Ids of actions the journal records as finished successfully."""
    return {str(r["action"]) for r in read_journal(path) if r.get("event") == "done"}
