"""CLI commands: ``plan`` and ``apply``.

The command bodies wire the stages together: desired state (files), live snapshot (Speakap
backend), last-applied state (git) -> ``compute_plan`` -> outputs, or -> ``apply_plan``.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reconciler.cli.app import app
from reconciler.desired import last_applied
from reconciler.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, BlockedError, SyncError
from reconciler.model import ActionResult, DesiredState
from reconciler.reconcile import invites, plan_json, views
from reconciler.reconcile.apply import (
    ApplyOptions,
    ApplySummary,
    apply_plan,
    check_stale,
    confirm_failures,
)
from reconciler.reconcile.backend import Backend
from reconciler.reconcile.journal import Journal, done_actions, plan_id
from reconciler.reconcile.lock import ApplyLock, network_lock_path
from reconciler.reconcile.plan import Plan, PlanOptions, compute_plan

if TYPE_CHECKING:
    from reconciler.speakap.settings import ConnectionSettings

_STATE_HELP = "The desired-state folder (policy.yaml, org-units.yaml, users/)."
_OUT_HELP = "Folder for plan.json, plan.md, the apply journal and invite sheets (not in git)."


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
        False, "--show-pii", help="Show emails and phones unmasked in plan.md (local use only)."
    ),
) -> None:
    """Compare the desired state with live Speakap and write plan.json and plan.md."""
    with _opened(state_dir, PlanOptions(allow_mass_changes=allow_mass_changes)) as inputs:
        pass  # the plan is computed: the connection is no longer needed
    names = inputs.names()
    written = views.write_plan(inputs.plan, out, show_pii=show_pii, names=names)
    views.print_plan(inputs.plan, Console(), show_pii=show_pii, names=names)
    Console(stderr=True).print(f"wrote {' and '.join(map(str, written))}", highlight=False)
    _raise_if_blocked(inputs.plan)
    changes = inputs.plan.has_changes and detailed_exitcode
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
) -> None:
    """Carry out the plan against live Speakap, resumably; moves the last-applied ref."""
    if output not in ("text", "json"):
        raise typer.BadParameter("must be 'text' or 'json'", param_hint="--output")
    reviewed = plan_json.read_plan(plan_file) if plan_file else None
    err = Console(stderr=True)
    allow = reviewed.allow_mass_changes if reviewed else False
    settings = _settings(state_dir)
    with (
        ApplyLock(network_lock_path(settings.base_url)),
        _opened(state_dir, PlanOptions(allow), settings) as inputs,
    ):
        current = inputs.plan
        if reviewed is not None:
            check_stale(reviewed, current)
        else:
            views.print_plan(current, err, names=inputs.names())
        _raise_if_blocked(current)
        if reviewed is None and current.has_changes and not auto_approve:
            typer.confirm("Apply these changes?", abort=True, err=True)
        finished: list[ActionResult] = []
        try:
            summary = _execute(
                inputs, reviewed or current, out, err, quiet=output == "json", seen=finished.append
            )
        except BaseException:
            # Stopped (authentication, interrupt): the accounts created so far keep their
            # one-time codes on a sheet, as these cannot be read back from Speakap.
            for sheet in invites.write_invite_sheets(out, _invites(inputs, finished)):
                err.print(f"printable invites: {sheet}", highlight=False)
            raise
    _finish(inputs, summary, out, err, as_json=output == "json")


# -- wiring -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    state_dir: Path
    desired: DesiredState
    backend: Backend
    plan: Plan
    settings: Any
    last_applied: DesiredState | None = None

    def names(self) -> Mapping[str, str]:
        """Display names for the reviewer's view, leavers (only in last-applied) included."""
        last = self.last_applied.people if self.last_applied else ()
        return views.names_of(itertools.chain(last, self.desired.people))


def _settings(state_dir: Path) -> ConnectionSettings:
    from reconciler.speakap.settings import ConnectionSettings

    return ConnectionSettings.load(state_dir)


@contextmanager
def _opened(
    state_dir: Path, options: PlanOptions, settings: ConnectionSettings | None = None
) -> Iterator[_Inputs]:
    """The inputs of a plan run, with the backend's connection open for the block."""
    from reconciler.desired.state import read_state
    from reconciler.speakap.settings import open_backend

    settings = settings or _settings(state_dir)
    backend = open_backend(settings)
    try:
        # The live fetch waits on the network most of the time: read the files meanwhile.
        with ThreadPoolExecutor(max_workers=1) as pool:
            fetching = pool.submit(backend.fetch_snapshot)
            desired = read_state(state_dir)
            last = last_applied.read_last_applied(state_dir)
            live = fetching.result()
        computed = compute_plan(desired, live, last, options=options)
        # a plan of uncommitted files is not the plan of any commit: say so, never HEAD's id
        commit = (
            None if last_applied.is_dirty(state_dir) else last_applied.desired_commit(state_dir)
        )
        computed = replace(computed, desired_commit=commit)
        yield _Inputs(state_dir, desired, backend, computed, settings, last)
    finally:
        backend.close()


def _raise_if_blocked(plan: Plan) -> None:
    message = plan.blocked_message()
    if message:
        raise BlockedError(message)


def _execute(
    inputs: _Inputs,
    reviewed: Plan,
    out: Path,
    err: Console,
    *,
    quiet: bool,
    seen: Callable[[ActionResult], None] | None = None,
) -> Any:
    pid = plan_id(reviewed.ids(), reviewed.desired_commit)
    path = out / "journal" / f"{pid}.jsonl"
    done = frozenset(done_actions(path) & inputs.plan.ids())
    options = ApplyOptions(concurrency=int(getattr(inputs.settings, "concurrency", 8) or 8))
    with Journal(path) as journal:
        with _progress(err, quiet or not inputs.plan.actions) as bar:
            summary = apply_plan(
                inputs.plan,
                inputs.backend,
                inputs.desired,
                journal,
                done=done,
                options=options,
                progress=bar,
                plan_id=pid,
                on_result=seen,
            )
        if not summary.ok:  # a failure may have landed after all: look again before reporting
            summary = _confirm(inputs, summary, journal, err)
        return summary


def _confirm(
    inputs: _Inputs, summary: ApplySummary, journal: Journal, err: Console
) -> ApplySummary:
    """Re-read live state to confirm failures; when that read fails too, report the summary
    as it stands (marked unconfirmed) rather than lose it."""
    try:
        live = inputs.backend.fetch_snapshot()
    except SyncError as error:
        journal.record("confirm_skipped", reason=str(error))
        err.print(f"could not re-read live state to confirm the failures: {error}")
        return replace(summary, failures_confirmed=False)
    last = last_applied.read_last_applied(inputs.state_dir)
    fresh = compute_plan(inputs.desired, live, last)
    return confirm_failures(summary, fresh.ids(), journal)


@contextmanager
def _progress(console: Console, quiet: bool) -> Iterator[Any]:
    if quiet:
        yield None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        tasks: dict[str, Any] = {}

        def advance(phase: str, finished: int, total: int) -> None:
            if phase not in tasks:
                tasks[phase] = progress.add_task(phase, total=total)
            progress.update(tasks[phase], completed=finished)

        yield advance


def _finish(
    inputs: _Inputs, summary: ApplySummary, out: Path, err: Console, *, as_json: bool
) -> None:
    entries = _invites(inputs, summary.results)
    sheets = invites.write_invite_sheets(out, entries)
    moved = False
    not_moved: SyncError | None = None
    if summary.ok and inputs.plan.desired_commit and not last_applied.is_dirty(inputs.state_dir):
        try:
            last_applied.mark_applied(inputs.state_dir, inputs.plan.desired_commit)
            moved = True
        except SyncError as error:  # e.g. the push to origin was refused: report, then fail
            not_moved = error
    report = summary.to_json() | {
        "last_applied_moved": moved,
        "invite_sheets": [str(p) for p in sheets],
        "printable_invites": {
            "with_code": sum(1 for e in entries if e.code),
            "code_in_admin_console": sum(1 for e in entries if not e.code),
        },
    }
    _write_summary(out / "summary.json", report)
    if as_json:
        sys.stdout.write(json.dumps(report, indent=1) + "\n")
    else:
        _print_summary(report, Console())
    if not_moved is not None:
        raise not_moved
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_ERROR)


def _write_summary(path: Path, report: dict[str, Any]) -> None:
    """``out/summary.json`` (what ``--output json`` prints), written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _print_summary(report: dict[str, Any], console: Console) -> None:
    console.print(
        f"applied: {report['done']} done, {report['failed']} failed, "
        f"{report['skipped']} already done earlier",
        highlight=False,
    )
    for failure in report["failures"]:
        console.print(
            f"  [red]failed[/red] {failure['action']}: {failure['reason']}", highlight=False
        )
    if not report["failures_confirmed"]:
        console.print(
            "  (live state could not be re-read: some of these may have landed; plan again)",
            highlight=False,
        )
    sheets = report["invite_sheets"]
    if sheets:
        folder = Path(sheets[0]).parent
        console.print(f"printable invites: {len(sheets)} sheet(s) in {folder}", highlight=False)
    without = report["printable_invites"]["code_in_admin_console"]
    if without:
        console.print(
            f"{without} printable invite(s) without a code from Speakap: their sheets say the "
            "code is issued in Speakap's admin console",
            highlight=False,
        )
    if report["last_applied_moved"]:
        console.print(f"last-applied ref moved to {last_applied.LAST_APPLIED_REF}", highlight=False)


def _invites(inputs: _Inputs, results: Sequence[ActionResult]) -> list[invites.Invite]:
    """Invite sheet entries for printable-channel users created in this run, with the code
    Speakap issued (None when it returned none)."""
    from reconciler.speakap.mapping import login_of

    people = inputs.desired.people_by_id()
    entries = []
    for result in results:
        if not (result.ok and result.action_id.startswith("create_user:")):
            continue
        person = people.get(result.action_id.split(":", 1)[1])
        if person is None or person.invite_channel != "printable":
            continue
        entries.append(
            invites.Invite(
                employee_id=person.employee_id,
                name=person.display_name,
                business_unit=person.business_unit or "(no business unit)",
                login=login_of(person, inputs.settings.dialect),
                code=result.invite_code,
            )
        )
    return entries
