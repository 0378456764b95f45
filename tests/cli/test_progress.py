"""Progress the operator sees: without a terminal, for work past its first 2 s, a plain line
per task at every 10 % step and at least every 5 s, with counts, rate and ETA, and one when
it ends (quick work prints nothing); on a terminal, rich bars; library warnings (retries,
429 waits, a fail-fast stop) as ``warning:`` lines, redacted, once however deep the
nesting."""

from __future__ import annotations

import io
import logging

from rich.console import Console

from reconciler.cli.progress import ProgressReport, progress_report, warnings_to


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plain(clock: Clock) -> tuple[ProgressReport, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    return ProgressReport(console, interactive=False, clock=clock), out


def test_a_task_with_a_total_prints_a_line_at_each_ten_percent_with_rate_and_eta() -> None:
    clock = Clock()
    report, out = plain(clock)
    report("creates", 0, 1000)
    for done in range(1, 1001):
        clock.now = done * 0.01  # 100 per second
        report("creates", done, 1000)
    lines = out.getvalue().splitlines()
    assert len(lines) == 9  # the 10 % step came within the first 2 s: quiet
    assert lines[0] == "creates: 200/1,000 (20%), 100/s, ETA 8s"
    assert lines[3] == "creates: 500/1,000 (50%), 100/s, ETA 5s"
    assert lines[-1] == "creates: 1,000/1,000 done in 10s (100/s)"


def test_a_slow_task_prints_at_least_every_five_seconds() -> None:
    clock = Clock()
    report, out = plain(clock)
    report("fetch users", 0, None)
    for done in range(1, 61):
        clock.now = done * 1.0  # one per second: 60 s for the first 1 %
        report("fetch users", done, 6000)
    lines = out.getvalue().splitlines()
    assert len(lines) == 12  # every 5 s, no 10 % step reached
    assert lines[0].startswith("fetch users: 5/6,000 (0%), 1/s, ETA 1h39m")


def test_a_task_of_unknown_size_prints_counts_and_rate_then_its_total() -> None:
    clock = Clock()
    report, out = plain(clock)
    report("render rows", 0, None)
    for done in range(1000, 30001, 1000):
        clock.now = done / 2000  # 2000 rows per second
        report("render rows", done, None)
    report("render rows", 30000, 30000)
    lines = out.getvalue().splitlines()
    assert lines[0] == "render rows: 10,000, 2,000/s"
    assert lines[-1] == "render rows: 30,000/30,000 done in 15s (2,000/s)"
    assert len(lines) == 4  # at 5 s, 10 s, 15 s, and the end


def test_quick_work_prints_nothing_and_slow_small_work_only_its_end() -> None:
    clock = Clock()
    report, out = plain(clock)
    for done in range(1, 6):
        report("org units", done, 5)
    assert out.getvalue() == ""
    report("creates", 0, 5)
    for done in range(1, 6):
        clock.now = done * 0.9  # 4.5 s: past the quiet 2 s, no 5-second line yet
        report("creates", done, 5)
    report("creates", 5, 5)  # a repeated end is said once
    assert out.getvalue().splitlines() == ["creates: 5/5 done in 4s (1/s)"]


def test_on_a_terminal_the_tasks_are_bars() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    report = ProgressReport(console)
    assert report.interactive
    for done in range(1, 4):
        report("membership adds", done, 3)
    report.stop()
    text = out.getvalue()
    assert "membership adds" in text and "3/3" in text


def test_warnings_print_once_redacted_through_the_innermost_printer() -> None:
    outer: list[str] = []
    inner: list[str] = []
    log = logging.getLogger("reconciler.speakap.client")
    with warnings_to(outer.append), warnings_to(inner.append):
        log.warning("GET /Users: HTTP 503, retrying in 0.5 s (attempt 1 of 6)")
        log.warning("server echoed Authorization: Bearer abcdefghijkl")
        log.info("not a warning")
    log.warning("after the block: nobody prints this through us")
    assert outer == []
    assert inner == [
        "warning: GET /Users: HTTP 503, retrying in 0.5 s (attempt 1 of 6)",
        "warning: server echoed Authorization: ***",
    ]


def test_a_quiet_report_is_none_and_a_report_prints_warnings_above_its_lines() -> None:
    out = io.StringIO()
    with progress_report(Console(file=out), quiet=True) as report:
        assert report is None
    with progress_report(Console(file=out, force_terminal=False)) as report:
        assert report is not None
        logging.getLogger("reconciler.reconcile.apply").warning("apply stopped: fail fast")
    assert out.getvalue() == "warning: apply stopped: fail fast\n"
