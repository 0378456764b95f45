"""Render a large export in several processes, each owning a set of users shards.

Every row goes to the worker that owns the shard of its employee id (so all contracts of one
person meet in one worker). An export that can be opened again cheaply (CSV) is read by every
worker, each keeping its own rows and noting every record that may hide rows; any other is
read by the main process, which sends each row to its worker. Each worker reads its own
previous shards, renders them with ``incremental.render_shards`` (the same code as the serial
render, with the render cache's memos the main process loaded before forking), writes its
changed shards into the staging directory it was given (or, without one, sends their text
back), and sends back the names of the unchanged ones, their memos and a tally for the
report. The main process never parses the previous state nor formats a person: that work is
split between workers.

The result is byte-identical to the serial render. When a previous person is not in the shard
its id hashes to (the shard count changed, or a hand edit moved them), the workers say so and
the caller (``render.run``) renders serially instead.

Progress: the rows read ("render rows", counted where they are read); once they are read,
each worker reports the people it has rendered and the main process adds them up ("render
people").
"""

from __future__ import annotations

import hashlib
import multiprocessing
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from reconciler.desired.config import Config
from reconciler.desired.state import USERS_DIR, put_shards, shard_key
from reconciler.errors import InputError, StateError, SyncError
from reconciler.model import Progress
from reconciler.render.core import Seal, Tally, Tick, build_report
from reconciler.render.incremental import Memos, RuleSets, ShardMemo, render_shards
from reconciler.render.report import Report
from reconciler.render.sources import open_export
from reconciler.render.sources.base import Export, RawRow, RowFilter

_CHUNK = 2000
_TICK = 1000  # rows between progress reports
_HEX = frozenset("0123456789abcdef")


@dataclass(frozen=True, slots=True)
class Result:
    """A whole render: the shards to write, the unchanged ones, the memos, the report."""

    files: dict[str, str]  # not yet written: relative path -> text
    same: tuple[str, ...]
    memos: dict[str, ShardMemo]
    rules: RuleSets  # the rule sets the memos' new entries name
    report: Report
    staged: tuple[str, ...] = ()  # written into the staging directory already


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
    stage: Path | None = None,
) -> Result | None:
    """The render in ``workers`` processes, or None when the serial render must do it.

    With a ``stage`` (``state.stage_users``), the workers write the changed shards into it
    (``Result.staged``) instead of sending their text back."""
    owned: list[list[Path]] = [[] for _ in range(workers)]
    users = state_dir / USERS_DIR
    if users.is_dir():
        for path in sorted(users.glob("*.yaml")):
            owned[_owner(path.stem, workers)].append(path)
    export = open_export(hr_file, config.source)
    reopen = export.reopen
    if reopen is not None:
        export.close()  # every worker reads its own stream
    context = multiprocessing.get_context("fork")  # children inherit config without pickling
    pipes: list[Connection] = []
    processes = []
    finished = False
    try:
        for index in range(workers):
            parent, child = context.Pipe()
            job = _Job(index, workers, state_dir, owned[index], export.headers, reopen, stage)
            args = (child, job, config, memos, today, export.serial_dates, seal)
            process = context.Process(target=_worker, args=args, daemon=True)
            process.start()
            child.close()
            pipes.append(parent)
            processes.append(process)
        try:
            if reopen is None:
                _route(counted(export.rows, progress), config, pipes)
            elif progress is not None:
                progress("render rows", 0, None)
            results = _answers(pipes, progress)
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


@dataclass(frozen=True, slots=True)
class _Job:
    """What one worker does: its shards, and where its rows come from and its shards go."""

    index: int
    workers: int
    state_dir: Path
    files: list[Path]  # its previous shards
    headers: tuple[str, ...]  # the export's, as the main process read them
    reopen: Callable[[RowFilter | None], Export] | None  # None: the rows come through the pipe
    stage: Path | None


def _answers(pipes: Sequence[Connection], progress: Progress | None) -> list[tuple[str, Any]]:
    """Every worker's answer, in the pipes' order. On the way, the rows a worker reports read
    go to ``progress``, and the workers' people rendered are added up into "render people"
    (reported once every worker has said its total)."""
    answers: dict[int, tuple[str, Any]] = {}
    done = [0] * len(pipes)
    totals: list[int | None] = [None] * len(pipes)
    tick = people_rendered(progress)
    while len(answers) < len(pipes):
        waiting = [pipe for index, pipe in enumerate(pipes) if index not in answers]
        for ready in wait(waiting):
            index = next(i for i, pipe in enumerate(pipes) if pipe is ready)
            message: tuple[str, Any] = pipes[index].recv()
            if message[0] == "rows":
                read, finished = message[1]
                if progress is not None:
                    progress("render rows", read, read if finished else None)
            elif message[0] == "people":
                done[index], totals[index] = message[1]
                known = [t for t in totals if t is not None]
                if tick is not None and len(known) == len(pipes):
                    tick(sum(done), sum(known))
            else:
                answers[index] = message
    return [answers[index] for index in range(len(pipes))]


def people_rendered(progress: Progress | None) -> Tick | None:
    """A render's people tick as the "render people" task of ``progress``."""
    if progress is None:
        return None
    return lambda done, total: progress("render people", done, total)


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


def _owner_of_id(shards: int, workers: int) -> Callable[[str | None], int]:
    """The index of the worker that owns the shard of an employee id as an export holds it
    (the first for a row without one). The same as ``_owner(shard_key(id))``, from the
    digest's bytes rather than its hex text (once per row of the export, in every worker)."""
    shift = {1: 32, 16: 28, 256: 24, 4096: 20}[shards]  # the key's bits of the digest's 32

    def index(text: str | None) -> int:
        employee_id = " ".join(text.split()) if text else ""
        if not employee_id:
            return 0
        digest = hashlib.blake2b(employee_id.encode("utf-8"), digest_size=4).digest()
        return (int.from_bytes(digest, "big") >> shift) % workers

    return index


def _worker_of(config: Config, workers: int) -> Callable[[RawRow], int]:
    """The index of the worker a row goes to (``_owner_of_id`` of its employee id)."""
    header = config.source.columns["employee_id"]
    owner = _owner_of_id(config.source.user_shards, workers)

    def index(raw: RawRow) -> int:
        return owner(raw.values.get(header))

    return index


def _route(rows: Iterator[RawRow], config: Config, pipes: Sequence[Connection]) -> None:
    worker_of = _worker_of(config, len(pipes))
    chunks: list[list[tuple[int, dict[str, str | None], str | None, bool]]] = [[] for _ in pipes]
    broken: list[int] = []
    for raw in rows:
        index = worker_of(raw)
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
            kind, message, file, line, fld, employee_id = payload
            raise kind(message, file=file, line=line, field=fld, employee_id=employee_id)
        if status == "crash":
            raise RuntimeError(f"a render worker failed:\n{payload}")
    if any(status == "misplaced" for status, _ in results):
        return None
    staged: list[str] = []
    for _, (texts, written, unchanged, part_memos, part_rules, part_tally) in results:
        files.update(texts)
        staged += written
        same += unchanged
        memos.update(part_memos)
        rules.update(part_rules)
        tallies.append(part_tally)
    report = build_report(tallies, config, today, source)
    files = dict(sorted(files.items()))
    return Result(files, tuple(sorted(same)), memos, rules, report, tuple(sorted(staged)))


def _worker(
    conn: Connection,
    job: _Job,
    config: Config,
    memos: Memos,
    today: date,
    serial_dates: bool,
    seal: Seal | None,
) -> None:
    broken: list[int] = []
    export: Export | None = None

    def routed() -> Iterator[RawRow]:
        while isinstance(chunk := conn.recv(), list):
            for line, values, error, hides_rows in chunk:
                yield RawRow(line, values, error, hides_rows)
        broken.extend(chunk)  # the end message: the broken lines of the whole export

    owner = _owner_of_id(config.source.user_shards, job.workers)
    seen = 0  # rows of the export read (the reader builds only this worker's)

    def wanted(employee_id: str | None) -> bool:
        nonlocal seen
        seen += 1
        return owner(employee_id) == job.index

    def own(rows: Iterator[RawRow]) -> Iterator[RawRow]:
        nonlocal seen
        worker_of = _worker_of(config, job.workers)
        tell = _TICK if job.index == 0 else 0  # the first worker tells how far the reading is
        for raw in rows:
            if raw.hides_rows:  # any worker's: each holds its leavers while there are any
                seen += 1
                broken.append(raw.line)
                if worker_of(raw) != job.index:
                    continue
            if tell and seen >= tell:
                conn.send(("rows", (seen, False)))
                tell = seen + _TICK
            yield raw
        if tell:
            conn.send(("rows", (seen, True)))

    try:
        if job.reopen is None:
            stream = routed()
        else:
            export = job.reopen((config.source.columns["employee_id"], wanted))
            if export.headers != job.headers:
                raise InputError("the export changed while it was read", file=export.path)
            stream = own(export.rows)
        previous = {f"{USERS_DIR}/{path.name}": _read(path) for path in job.files}
        rendered = render_shards(
            stream,
            config,
            previous,
            memos,
            today,
            serial_dates,
            origin=str(job.state_dir).rstrip("/") + "/",
            placed=True,
            broken=broken,  # filled once the stream ends, before anyone is offboarded
            seal=seal,
            progress=lambda done, total: conn.send(("people", (done, total))),
        )
        if rendered is None:
            reply: tuple[str, Any] = ("misplaced", None)
        else:
            r = rendered
            texts = r.files
            written: tuple[str, ...] = ()
            if job.stage is not None:
                data = {name: text.encode("utf-8") for name, text in texts.items()}
                put_shards(job.stage, job.state_dir, data)
                texts, written = {}, tuple(texts)
            reply = ("ok", (texts, written, r.same, r.memos, r.rules, r.tally))
    except SyncError as err:
        fields = (err.message, err.file, err.line, err.field, err.employee_id)
        reply = ("error", (type(err), *fields))
    except BaseException:
        reply = ("crash", traceback.format_exc())
    finally:
        if export is not None:
            export.close()
    if job.reopen is None:
        for _ in stream:  # drain, so the main process never blocks sending to us
            pass
    conn.send(reply)
    conn.close()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise StateError(f"not UTF-8 ({err.reason})", file=path) from None
