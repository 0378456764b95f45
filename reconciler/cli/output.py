"""What the commands print: the plan view, apply's summary, and the ``--output text|json``
choice that apply, history and pii-audit share (progress: cli/progress)."""

from __future__ import annotations

import json
import sys
from collections import Counter

from rich.console import Console
from rich.markup import escape

from reconciler.desired.last_applied import LAST_APPLIED_REF
from reconciler.errors import InputError
from reconciler.reconcile import views
from reconciler.reconcile.run import ApplyOutcome, PlanOutcome
from reconciler.reconcile.views.describe import plural

MAX_FAILURE_LINES = 20  # failed actions listed one per line; the rest counted per reason
MAX_REASONS = 5


def wants_json(output: str) -> bool:
    """``--output``: True for ``json``, False for ``text``; anything else is one error line."""
    if output not in ("text", "json"):
        raise InputError("--output must be 'text' or 'json'", field="--output")
    return output == "json"


def show_plan(planned: PlanOutcome, console: Console, *, show_pii: bool = False) -> None:
    views.print_plan(
        planned.plan,
        console,
        show_pii=show_pii,
        names=planned.names,
        org_names=planned.org_names,
    )


def show_summary(outcome: ApplyOutcome, *, as_json: bool) -> None:
    """The summary on stdout: ``out/summary.json``'s content, or a few lines of text."""
    if as_json:
        sys.stdout.write(json.dumps(outcome.to_json(), indent=1) + "\n")
        return
    console = Console()
    summary = outcome.summary
    console.print(
        f"applied: {len(summary.results) - len(summary.failures):,} done, "
        f"{len(summary.failures):,} failed, {len(summary.skipped):,} already done earlier",
        highlight=False,
    )
    _show_failures(console, outcome)
    if summary.stopped:
        console.print(
            f"[red]stopped[/red] {escape(summary.stopped)}: "
            f"{plural(len(summary.not_attempted), 'action')} not attempted "
            "(run apply again once fixed)",
            highlight=False,
        )
    if not summary.failures_confirmed:
        console.print(
            "  (live state could not be re-read: some of these may have landed; plan again)",
            highlight=False,
        )
    if outcome.plan.partial:
        console.print(
            escape(
                f"partial apply (--only {', '.join(outcome.plan.only)}): the last-applied tag "
                "stays where it was; the next full plan holds what is left"
            ),
            highlight=False,
        )
    sheets = outcome.invite_sheets
    people = plural(outcome.invites_with_code + outcome.invites_without_code, "person")
    if sheets and outcome.sheets_encrypted:
        console.print(
            f"printable invites: {people} on {plural(len(sheets), 'encrypted sheet')} in "
            f"{sheets[0].parent} (open them with `speakap-sync invites decrypt`)",
            highlight=False,
        )
    elif sheets:
        console.print(
            f"printable invites: {people} on {plural(len(sheets), 'sheet')} in "
            f"{sheets[0].parent}, not encrypted "
            "(policy.yaml names no invite_sheets.recipients): they stay on this machine, "
            "CI does not upload them",
            highlight=False,
        )
    if outcome.invites_without_code:
        console.print(
            f"{plural(outcome.invites_without_code, 'printable invite')} without a code from "
            "Speakap: "
            "their sheets say the code is issued in Speakap's admin console",
            highlight=False,
        )
    if outcome.last_applied_moved:
        console.print(f"last-applied ref moved to {LAST_APPLIED_REF}", highlight=False)
    elif outcome.not_moved_reason and outcome.not_moved is None and not outcome.plan.partial:
        said = escape(f"last-applied ref not moved: {outcome.not_moved_reason}")
        console.print(said, highlight=False)


def _show_failures(console: Console, outcome: ApplyOutcome) -> None:
    """The first failures one per line; past ``MAX_FAILURE_LINES`` the rest counted per reason
    (a duplicate-email run fails hundreds of actions the same way), each one in summary.json."""
    failures = outcome.summary.failures
    for failure in failures[:MAX_FAILURE_LINES]:
        what = escape(f"{failure.action_id}: {failure.detail}")
        console.print(f"  [red]failed[/red] {what}", highlight=False)
    rest = failures[MAX_FAILURE_LINES:]
    if not rest:
        return
    console.print(
        escape(f"  … and {len(rest):,} more failed (each in {outcome.summary_file}), by reason:"),
        highlight=False,
    )
    reasons = Counter(failure.detail for failure in rest).most_common()
    for detail, count in reasons[:MAX_REASONS]:
        console.print(escape(f"    {count:,} × {detail}"), highlight=False)
    if len(reasons) > MAX_REASONS:
        others = sum(count for _, count in reasons[MAX_REASONS:])
        console.print(f"    {others:,} × other reasons", highlight=False)
