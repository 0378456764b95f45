"""Render a large export in several processes, each owning a set of users shards.

The main process reads the export and sends every row to the worker that owns the shard of
its employee id (so all contracts of one person meet in one worker). Each worker reads its own
previous shards, renders them with ``incremental.render_shards`` (the same code as the serial
render, with the render cache's memos the main process loaded before forking), and sends back
the text of its changed shards, the names of the unchanged ones, their memos and a tally for
the report. The main process never parses the previous state nor formats a person: that work
is split between workers.

The result is byte-identical to the serial render. When a previous person is not in the shard
its id hashes to (the shard count changed, or a hand edit moved them), the workers say so and
the caller (``render.run``) renders serially instead.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from reconciler.desired.config import Config
from reconciler.desired.state import USERS_DIR, shard_key
from reconciler.errors import StateError, SyncError
from reconciler.model import Progress
from reconciler.render.core import Seal, Tally, build_report
from reconciler.render.incremental import Memos, RuleSets, ShardMemo, render_shards
from reconciler.render.report import Report
from reconciler.render.sources import open_export
from reconciler.render.sources.base import RawRow

_CHUNK = 2000
_TICK = 1000  # rows between progress reports
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Result:
    """A whole render: the shards to write, the unchanged ones, the memos, the report."""

    files: dict[str, str]
    same: tuple[str, ...]
    memos: dict[str, ShardMemo]
    rules: RuleSets  # the rule sets the memos' new entries name
    report: Report


def possible(state_dir: Path, shards: int) -> bool:
    """Whether every shard (``*.yaml``) in users/ is a shard of the configured count; other
    files there (a ``.gitkeep``) are not the render's and are kept by ``write_files``."""
    if shards == 1:
        return False
    users = state_dir / USERS_DIR
    if not users.is_dir():
        return True
    width = len(shard_key("", shards))
    return all(
        len(p.stem) == width and set(p.stem) <= _HEX and p.is_file()
        for p in users.iterdir()
        if p.name.endswith(".yaml")
    )


def _owner(key: str, workers: int) -> int:
    return int(key, 16) % workers


def render_files(
    hr_file: Path,
    config: Config,
    state_dir: Path,
    today: date,
    workers: int,
    memos: Memos,
    seal: Seal | None = None,
    progress: Progress | None = None,
) -> Result | None:
    """The render in ``workers`` processes, or None when the serial render must do it."""
    owned: list[list[Path]] = [[] for _ in range(workers)]
    users = state_dir / USERS_DIR
    if users.is_dir():
        for path in sorted(users.glob("*.yaml")):
            owned[_owner(path.stem, workers)].append(path)
    export = open_export(hr_file, config.source)
    context = multiprocessing.get_context("fork")  # children inherit config without pickling
    pipes: list[Connection] = []
    processes = []
    finished = False
    try:
        for index in range(workers):
            parent, child = context.Pipe()
            args = (child, config, owned[index], memos, today, export.serial_dates, seal)
            process = context.Process(target=_worker, args=args, daemon=True)
            process.start()
            child.close()
            pipes.append(parent)
            processes.append(process)
        try:
            _route(counted(export.rows, progress), config, pipes)
            results = [pipe.recv() for pipe in pipes]
        except (EOFError, BrokenPipeError, ConnectionResetError):
            # A worker died without answering (the OOM killer, a signal): its pipe closed.
            dead = [p.exitcode for p in processes if p.exitcode is not None]
            raise SyncError(
                f"a render worker process stopped without answering (exit codes {dead}); "
                "nothing was written"
            ) from None
        finished = True
    finally:
        export.close()
        for process in processes:
            if not finished:  # the export broke mid-way: workers wait for rows that never come
                process.kill()
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    return _collect(results, config, today, hr_file.name)


def counted(rows: Iterator[RawRow], progress: Progress | None) -> Iterator[RawRow]:
    """``rows``, telling ``progress`` how many were read ("render rows"; the total is known
    only at the end, when a last call ends the task)."""
    if progress is None:
        yield from rows
        return
    read = 0
    progress("render rows", 0, None)
    for row in rows:
        read += 1
        if read % _TICK == 0:
            progress("render rows", read, None)
        yield row
    progress("render rows", read, read)


def _route(rows: Iterator[RawRow], config: Config, pipes: Sequence[Connection]) -> None:
    header = config.source.columns["employee_id"]
    shards = config.source.user_shards
    chunks: list[list[tuple[int, dict[str, str | None], str | None, bool]]] = [[] for _ in pipes]
    broken: list[int] = []
    for raw in rows:
        employee_id = " ".join((raw.values.get(header) or "").split())
        index = _owner(shard_key(employee_id, shards), len(pipes)) if employee_id else 0
        chunk = chunks[index]
        # tuples pickle fast, dataclasses not
        chunk.append((raw.line, raw.values, raw.error, raw.hides_rows))
        if raw.hides_rows:
            broken.append(raw.line)
        if len(chunk) >= _CHUNK:
            pipes[index].send(chunk)
            chunks[index] = []
    for pipe, chunk in zip(pipes, chunks, strict=True):
        if chunk:
            pipe.send(chunk)
        pipe.send(tuple(broken))  # the end of the rows: every worker holds leavers if any


def _collect(
    results: list[tuple[str, Any]], config: Config, today: date, source: str
) -> Result | None:
    files: dict[str, str] = {}
    same: list[str] = []
    memos: dict[str, ShardMemo] = {}
    rules: RuleSets = {}
    tallies: list[Tally] = []
    for status, payload in results:
        if status == "error":
            message, file, line, fld, employee_id = payload
            raise StateError(message, file=file, line=line, field=fld, employee_id=employee_id)
        if status == "crash":
            raise RuntimeError(f"a render worker failed:\n{payload}")
    if any(status == "misplaced" for status, _ in results):
        return None
    for _, (texts, unchanged, part_memos, part_rules, part_tally) in results:
        files.update(texts)
        same += unchanged
        memos.update(part_memos)
        rules.update(part_rules)
        tallies.append(part_tally)
    report = build_report(tallies, config, today, source)
    return Result(dict(sorted(files.items())), tuple(sorted(same)), memos, rules, report)


def _worker(
    conn: Connection,
    config: Config,
    files: list[Path],
    memos: Memos,
    today: date,
    serial_dates: bool,
    seal: Seal | None,
) -> None:
    broken: list[int] = []

    def rows() -> Iterator[RawRow]:
        while isinstance(chunk := conn.recv(), list):
            for line, values, error, hides_rows in chunk:
                yield RawRow(line, values, error, hides_rows)
        broken.extend(chunk)  # the end message: the broken lines of the whole export

    stream = rows()
    try:
        previous = {f"{USERS_DIR}/{path.name}": _read(path) for path in files}
        origin = str(files[0].parent.parent).rstrip("/") + "/" if files else ""
        rendered = render_shards(
            stream,
            config,
            previous,
            memos,
            today,
            serial_dates,
            origin=origin,
            placed=True,
            broken=broken,  # filled once the stream ends, before anyone is offboarded
            seal=seal,
        )
        if rendered is None:
            reply: tuple[str, Any] = ("misplaced", None)
        else:
            r = rendered
            result = (r.files, r.same, r.memos, r.rules, r.tally)
            reply = ("ok", result)
    except SyncError as err:
        reply = ("error", (err.message, err.file, err.line, err.field, err.employee_id))
    except BaseException:
        reply = ("crash", traceback.format_exc())
    for _ in stream:  # drain, so the main process never blocks sending to us
        pass
    conn.send(reply)
    conn.close()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise StateError(f"not UTF-8 ({err.reason})", file=path) from None
