"""The apply journal: an append-only JSON-lines record of every action carried out.

One file per reviewed plan (named by the plan's id), one record per line, ``fsync`` after each
record, so a killed apply leaves a journal that says exactly which actions finished. A rerun
with the same plan reads it and skips what the unfinished run did (see ``done_actions``). A
torn last line (the process died in the middle of a write), or any other damaged line, is
skipped with a warning (see ``read_journal``).
Each line matches ``schemas/journal.schema.json``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from reconciler.model import ActionResult

log = logging.getLogger(__name__)


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
        self._write([self._line(event, fields)])

    def result(self, result: ActionResult) -> None:
        self.results([result])

    def results(self, results: Sequence[ActionResult]) -> None:
        """One record per result, written together with one ``fsync`` (a Bulk request's
        answers arrive together: each operation still gets its own line, all with the time
        they were written)."""
        at = _now()
        self._write([result_line(r, at) for r in results])

    @staticmethod
    def _line(event: str, fields: dict[str, Any], at: str | None = None) -> str:
        row = {"at": at or _now(), "event": event}
        row.update(fields)
        return json.dumps(row, sort_keys=True, default=str) + "\n"

    def _write(self, lines: list[str]) -> None:
        if not lines:
            return
        with self._lock:
            self._handle.write("".join(lines))
            self._handle.flush()
            os.fsync(self._handle.fileno())

    def close(self) -> None:
        with self._lock:
            if not self._handle.closed:
                self._handle.close()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def result_line(result: ActionResult, at: str) -> str:
    """The journal line of ``result``, written at ``at``: the text ``json.dumps`` gives the
    record with sorted keys, put together from its encoded values (a day 0 writes tens of
    thousands of these)."""
    action, detail, created = result.action_id, result.detail, result.created_id
    if (
        type(action) is not str
        or type(detail) is not str
        or not (created is None or type(created) is str)
    ):
        fields = {"action": action, "detail": detail, "created_id": created}
        return Journal._line("done" if result.ok else "failed", fields, at)
    return (
        f'{{"action": {_encode(action)}, "at": {_encode(at)}, "created_id": '
        f'{"null" if created is None else _encode(created)}, "detail": {_encode(detail)}, '
        f'"event": "{"done" if result.ok else "failed"}"}}\n'
    )


_encode = json.dumps


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Every sound record of a journal (none when it does not exist).

    A line that is not a sound record (see ``schemas/journal.schema.json``) is SKIPPED with a
    warning naming the file and line, never a reason to stop:

    - a torn last line is what a SIGKILL or power cut in the middle of a write leaves; a resume
      must go on past it (its action simply was not recorded);
    - skipping any other damaged line is safe too, because apply never trusts the journal
      alone: it carries out a plan computed afresh against live state, and the journal only
      lets it skip actions of that plan recorded as done. A lost ``done`` record can at worst
      make it redo an action the live network still needs; refusing instead would block every
      resume of the plan until someone edited the journal by hand.

    The check is what resume relies on (a JSON object with an ``event``, and a string
    ``action`` on ``done``/``failed``), not the whole schema: a journal of a 300,000-person
    apply holds over a million lines, and this runs before every apply of its plan.
    """
    if not path.exists():
        return []
    rows: list[dict[str, Any]] = []
    with path.open(encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            row, problem = _parsed(line)
            if row is not None:
                rows.append(row)
                continue
            torn = not line.endswith("\n")
            what = "torn last line (an apply was killed mid-write)" if torn else problem
            log.warning("%s:%d: journal line skipped: %s", path, number, what)
    return rows


def _parsed(line: str) -> tuple[dict[str, Any] | None, str]:
    """The record on ``line``, or None and why it is not a sound one."""
    if not line.endswith("\n"):
        return None, "no line end"
    if not line.strip():
        return None, "empty line"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg})"
    if not isinstance(row, dict):
        return None, "not a JSON object"
    event = row.get("event")
    if not isinstance(event, str):
        return None, "no 'event'"
    if event in ("done", "failed") and not isinstance(row.get("action"), str):
        return None, f"a '{event}' record without an 'action'"
    return row, ""


def done_actions(path: Path) -> set[str]:
    """Ids of actions that runs which did not finish (killed, or stopped by an error) record as
    done: what a resume may skip.

    A run that finished wrote ``end``; what it did is visible in live state, and a later run
    of the same plan (same commit, same actions: e.g. a membership removed by hand again) is
    a new run that must carry its actions out again, so ``end`` forgets the done records before
    it, and records written after it by the same run (failures confirmed on re-read) too.
    """
    done: set[str] = set()
    closed = False
    for row in read_journal(path):
        event = row.get("event")
        if event == "begin":
            closed = False
        elif event == "end":
            done.clear()
            closed = True
        elif event == "done" and not closed:
            done.add(str(row["action"]))
    return done
