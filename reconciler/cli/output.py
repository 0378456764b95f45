"""What the commands print: the plan view, apply's summary, and the ``--output text|json``
choice that apply, history and pii-audit share (progress: cli/progress)."""

from __future__ import annotations

import json
import sys

from rich.console import Console
from rich.markup import escape

from reconciler.desired.last_applied import LAST_APPLIED_REF
from reconciler.errors import InputError
from reconciler.reconcile import views
from reconciler.reconcile.run import ApplyOutcome, PlanOutcome


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
    if outcome.plan.partial:
        console.print(
            escape(
                f"partial apply (--only {', '.join(outcome.plan.only)}): the last-applied tag "
                "stays where it was; the next full plan holds what is left"
            ),
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
