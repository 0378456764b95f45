"""Progress of long work for the operator, and the warnings logged on the way.

On a terminal, rich bars: one per task (rows rendered, users and groups fetched, each apply
phase). Elsewhere (a CI log), plain lines for work that takes more than 2 seconds: one per
task at each 10 % step and at least every 5 seconds, with counts, rate and ETA, and one when
the task ends, so a long run is never silent and a quick one adds no noise. Warnings the
library logs (a retry, a 429 wait, a fail-fast stop) print as ``warning:`` lines, above the
bars.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from reconciler.errors import env_secrets, redact

EVERY = 5.0  # seconds between plain lines of one task, at most
STEP = 10  # percent between plain lines of one task
QUIET = 2.0  # seconds a task runs before its first plain line: quick work prints none
_MIN_STEPS = 20  # a task smaller than this prints no 10 % lines (5-second ones still)
Printer = Callable[[str], None]
Clock = Callable[[], float]


@dataclass
class _Task:
    started: float
    last_line: float
    step: int = 0  # the last 10 % step a line was printed for
    done: int = 0
    total: int | None = None
    ended: bool = False
    printed: bool = False
    bar: TaskID | None = field(default=None, repr=False)


class ProgressReport:
    """A ``(task, done, total)`` callback for the use cases; safe to call from any thread.
    ``total`` is None while unknown; ``done == total`` ends a task."""

    def __init__(
        self, console: Console, *, interactive: bool | None = None, clock: Clock = time.monotonic
    ) -> None:
        self.console = console
        self.interactive = console.is_terminal if interactive is None else interactive
        self._clock = clock
        self._lock = threading.Lock()
        self._tasks: dict[str, _Task] = {}
        self._bars: Progress | None = None

    def __call__(self, task: str, done: int, total: int | None) -> None:
        with self._lock:
            now = self._clock()
            state = self._tasks.get(task)
            if state is None:
                state = self._tasks[task] = _Task(started=now, last_line=now)
            if state.ended:
                return
            state.done, state.total = done, total
            state.ended = total is not None and done >= total
            if self.interactive:
                self._draw(task, state)
            else:
                self._plain(task, state, now)

    def warn(self, line: str) -> None:
        """A warning line, above the bars when there are any."""
        with self._lock:
            self.console.print(escape(line), highlight=False, soft_wrap=True)

    def stop(self) -> None:
        with self._lock:
            if self._bars is not None:
                self._bars.stop()
                self._bars = None

    def _draw(self, task: str, state: _Task) -> None:
        if self._bars is None:
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
            times = (TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn())
            self._bars = Progress(*columns, *times, console=self.console, transient=False)
            self._bars.start()
        if state.bar is None:
            state.bar = self._bars.add_task(task, total=state.total)
        self._bars.update(state.bar, completed=state.done, total=state.total)

    def _plain(self, task: str, state: _Task, now: float) -> None:
        step = _step(state)
        if now - state.started < QUIET and not state.printed:
            state.step = step  # quick work stays silent, its steps passed
            return
        due = now - state.last_line >= EVERY
        stepped = step > state.step and (state.total or 0) >= _MIN_STEPS
        if not (state.ended or due or stepped):
            return
        state.last_line, state.step, state.printed = now, step, True
        self.console.print(_line(task, state, now), highlight=False, soft_wrap=True)


def _step(state: _Task) -> int:
    if not state.total:
        return 0
    return min(100, state.done * 100 // state.total) // STEP * STEP


def _line(task: str, state: _Task, now: float) -> str:
    """``apply creates: 1,200/5,000 (24%), 40/s, ETA 1m35s`` (or ``… done in 2m05s``)."""
    elapsed = max(now - state.started, 1e-9)
    rate = state.done / elapsed
    if state.total is None:
        return f"{task}: {state.done:,}, {rate:,.0f}/s"
    count = f"{state.done:,}/{state.total:,}"
    if state.ended:
        speed = f" ({rate:,.0f}/s)" if elapsed >= 1 else ""
        return f"{task}: {count} done in {_duration(elapsed)}{speed}"
    percent = state.done * 100 // state.total if state.total else 100
    eta = _duration((state.total - state.done) / rate) if rate > 0 else "unknown"
    return f"{task}: {count} ({percent}%), {rate:,.0f}/s, ETA {eta}"


def _duration(seconds: float) -> str:
    minutes, secs = divmod(max(0, round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return (
        f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
    )


@contextmanager
def progress_report(console: Console, *, quiet: bool = False) -> Iterator[ProgressReport | None]:
    """A report for the block (None when ``quiet``), warnings printed through it."""
    if quiet:
        yield None
        return
    report = ProgressReport(console)
    try:
        with warnings_to(report.warn):
            yield report
    finally:
        report.stop()


# -- warnings ----------------------------------------------------------------------------------

_printers: list[Printer] = []


class _WarningLines(logging.Handler):
    """Library warnings as ``warning: …`` lines, redacted, through the innermost printer."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = redact(record.getMessage(), env_secrets(os.environ))
            printer = _printers[-1] if _printers else None
            if printer is not None:
                printer(f"warning: {text}")
        except Exception:  # a broken warning must not break the run
            self.handleError(record)


_HANDLER = _WarningLines(logging.WARNING)


@contextmanager
def warnings_to(printer: Printer) -> Iterator[None]:
    """Print the ``reconciler`` loggers' warnings with ``printer`` for the block (the
    innermost block's printer wins; one handler however deep the nesting)."""
    logger = logging.getLogger("reconciler")
    if not _printers:
        logger.addHandler(_HANDLER)
    _printers.append(printer)
    try:
        yield
    finally:
        _printers.remove(printer)
        if not _printers:
            logger.removeHandler(_HANDLER)
