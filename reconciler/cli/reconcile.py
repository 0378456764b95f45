"""CLI commands: ``plan`` and ``apply``, over the use cases in ``reconciler.reconcile.run``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import typer
from rich.console import Console

from reconciler.cli.app import app
from reconciler.cli.output import show_plan, show_summary, wants_json
from reconciler.cli.progress import progress_report
from reconciler.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, SyncError
from reconciler.gitops import notify
from reconciler.gitops.github import run_url_from_env
from reconciler.reconcile import run
from reconciler.reconcile.run import ApplyRequest, PlanOutcome, PlanRequest

_STATE_HELP = "The desired-state folder (policy.yaml, org-units.yaml, users/)."
_CONTACTS_HELP = "The contacts file render wrote (policy contacts_in_git: false)."
_ONLY_HELP = (
    "Only this employee id, or unit:KEY (everyone in that business unit or under it); "
    "repeatable. A partial plan: the last-applied tag does not move."
)
_OUT_HELP = (
    "Folder for the plan (plan.json, plan.md, plan.html), the apply journal and invite sheets "
    "(not in git)."
)


@app.command()
def plan(
    state_dir: Path = typer.Option(Path("desired-state"), "--state-dir", help=_STATE_HELP),
    out: Path = typer.Option(Path("out"), "--out", help=_OUT_HELP),
    detailed_exitcode: bool = typer.Option(
        False, "--detailed-exitcode", help="Exit 2 when the plan has changes (0: none)."
    ),
    allow_mass_changes: bool = typer.Option(
        False, "--allow-mass-changes", help="Override the safety guards (recorded in the plan)."
    ),
    show_pii: bool = typer.Option(
        False,
        "--show-pii",
        help="Show emails and phones unmasked in plan.md and plan.html (local use only).",
    ),
    contacts: Path | None = typer.Option(None, "--contacts", help=_CONTACTS_HELP),
    only: list[str] = typer.Option([], "--only", help=_ONLY_HELP),
) -> None:
    """Compare the desired state with live Speakap and write plan.json, plan.md, plan.html."""
    err = Console(stderr=True)
    with notify.watching(state_dir, "plan", _echo(err)):
        request = PlanRequest(
            state_dir, out, allow_mass_changes, show_pii, run_url_from_env(), contacts, tuple(only)
        )
        with progress_report(err) as report:
            planned = run.plan(request, progress=report)
        show_plan(planned, Console(), show_pii=show_pii)
        *first, last = map(str, planned.written)
        written = f"{', '.join(first)} and {last}" if first else last
        err.print(f"wrote {written}", highlight=False)
        planned.raise_if_blocked()
        _refuse(planned.refused, "planned")
    changes = planned.plan.has_changes and detailed_exitcode
    raise typer.Exit(EXIT_CHANGES if changes else EXIT_OK)


@app.command()
def apply(
    plan_file: Path | None = typer.Option(
        None, "--plan", help="The reviewed plan.json; apply refuses if live drifted beyond it."
    ),
    auto_approve: bool = typer.Option(
        False, "--auto-approve", help="Without --plan: apply without asking."
    ),
    state_dir: Path = typer.Option(Path("desired-state"), "--state-dir", help=_STATE_HELP),
    out: Path = typer.Option(Path("out"), "--out", help=_OUT_HELP),
    output: str = typer.Option("text", "--output", help="Summary format: text or json."),
    contacts: Path | None = typer.Option(None, "--contacts", help=_CONTACTS_HELP),
    only: list[str] = typer.Option(
        [],
        "--only",
        envvar="SPEAKAP_SYNC_ONLY",
        help=_ONLY_HELP + " Default: the reviewed plan's selectors.",
    ),
) -> None:
    """Carry out the plan against live Speakap, resumably; moves the last-applied ref (not
    after a partial apply)."""
    as_json = wants_json(output)
    err = Console(stderr=True)
    with (
        notify.watching(state_dir, "apply", _echo(err)) as watch,
        progress_report(err, quiet=as_json) as report,
    ):
        outcome = run.apply(
            ApplyRequest(state_dir, out, plan_file, contacts, tuple(only)),
            confirm=_asker(err, auto_approve),
            progress=report,
            notify=_echo(err),
        )
    show_summary(outcome, as_json=as_json)
    watch.applied(outcome.to_json())
    if outcome.not_moved is not None:
        raise outcome.not_moved
    _refuse(outcome.refused, "applied")
    raise typer.Exit(EXIT_OK if outcome.summary.ok else EXIT_ERROR)


def _echo(err: Console) -> Callable[[str], None]:
    return lambda line: err.print(line, highlight=False, soft_wrap=True)


def _asker(err: Console, auto_approve: bool) -> Callable[[PlanOutcome], bool]:
    """Show a plan nobody reviewed; ask before applying it unless told not to."""

    def confirm(planned: PlanOutcome) -> bool:
        show_plan(planned, err)
        if auto_approve or planned.plan.blocked or not planned.plan.has_changes:
            return True
        return typer.confirm("Apply these changes?", err=True)

    return confirm


def _refuse(refused: Sequence[SyncError], done: str) -> None:
    """List the people whose contacts could not be resolved, then fail the command."""
    for error in refused:
        typer.echo(f"error: {error}", err=True)
    if refused:
        raise SyncError(
            f"{len(refused)} person(s) not {done}: their contacts do not match the reviewed "
            "commitments (render again and pass its --contacts-out file with --contacts)"
        )
