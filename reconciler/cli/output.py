"""What ``plan`` and ``apply`` print: the plan view, a progress bar per phase, the summary."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reconciler.desired.last_applied import LAST_APPLIED_REF
from reconciler.reconcile import views
from reconciler.reconcile.run import ApplyOutcome, PlanOutcome


def show_plan(planned: PlanOutcome, console: Console, *, show_pii: bool = False) -> None:
    views.print_plan(planned.plan, console, show_pii=show_pii, names=planned.names)


class ProgressBars:
    """One bar per apply phase, drawn from the first report on (a run with nothing to do, or
    one stopped at its prompt, draws none)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._progress: Progress | None = None
        self._tasks: dict[str, Any] = {}

    def __call__(self, phase: str, finished: int, total: int) -> None:
        if self._progress is None:
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            self._progress = Progress(*columns, console=self.console, transient=False)
            self._progress.start()
        if phase not in self._tasks:
            self._tasks[phase] = self._progress.add_task(phase, total=total)
        self._progress.update(self._tasks[phase], completed=finished)

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()


@contextmanager
def progress_bars(console: Console, *, quiet: bool) -> Iterator[ProgressBars | None]:
    if quiet:
        yield None
        return
    bars = ProgressBars(console)
    try:
        yield bars
    finally:
        bars.stop()


def show_summary(outcome: ApplyOutcome, *, as_json: bool) -> None:
    """The summary on stdout: ``out/summary.json``'s content, or a few lines of text."""
    if as_json:
        sys.stdout.write(json.dumps(outcome.to_json(), indent=1) + "\n")
        return
    console = Console()
    summary = outcome.summary
    console.print(
        f"applied: {len(summary.results) - len(summary.failures)} done, "
        f"{len(summary.failures)} failed, {len(summary.skipped)} already done earlier",
        highlight=False,
    )
    for failure in summary.failures:
        what = escape(f"{failure.action_id}: {failure.detail}")
        console.print(f"  [red]failed[/red] {what}", highlight=False)
    if summary.stopped:
        console.print(
            f"[red]stopped[/red] {escape(summary.stopped)}: "
            f"{len(summary.not_attempted)} action(s) not attempted (run apply again once fixed)",
            highlight=False,
        )
    if not summary.failures_confirmed:
        console.print(
            "  (live state could not be re-read: some of these may have landed; plan again)",
            highlight=False,
        )
    sheets = outcome.invite_sheets
    if sheets and outcome.sheets_encrypted:
        console.print(
            f"printable invites: {len(sheets)} encrypted sheet(s) in {sheets[0].parent} "
            "(open them with `speakap-sync invites decrypt`)",
            highlight=False,
        )
    elif sheets:
        console.print(
            f"printable invites: {len(sheets)} sheet(s) in {sheets[0].parent}, not encrypted "
            "(policy.yaml names no invite_sheets.recipients): they stay on this machine, "
            "CI does not upload them",
            highlight=False,
        )
    if outcome.invites_without_code:
        console.print(
            f"{outcome.invites_without_code} printable invite(s) without a code from Speakap: "
            "their sheets say the code is issued in Speakap's admin console",
            highlight=False,
        )
    if outcome.last_applied_moved:
        console.print(f"last-applied ref moved to {LAST_APPLIED_REF}", highlight=False)
