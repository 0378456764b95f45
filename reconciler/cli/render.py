"""CLI commands of the render stage: render, validate, schema, explain."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer
from rich.console import Console

from reconciler.cli.app import app
from reconciler.cli.progress import progress_report
from reconciler.desired.config import SOURCE_FILE
from reconciler.desired.documents import load_schema, schema_names
from reconciler.desired.validation import validate_dir
from reconciler.errors import ConfigError, InputError, StateError, SyncError
from reconciler.feeds.config import find_feed, workflow_hints
from reconciler.reconcile import invites
from reconciler.render.explain import explain
from reconciler.render.report import Report
from reconciler.render.run import DEFAULT_CONTACTS_OUT, render_to_disk

MAX_ISSUE_LINES = 10  # rejected, quarantined and warned rows render lists; the rest counted
STATE_DIR_OPTION = typer.Option(
    Path("desired-state"), "--state-dir", help="The desired-state directory (config and users)."
)


def _today(text: str | None) -> date:
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--today {text!r} is not a date (YYYY-MM-DD)", field="--today") from None


@app.command("render")
def render_command(
    hr_file: Path = typer.Argument(..., help="The HR export (CSV, XLSX or JSON)."),
    state_dir: Path = STATE_DIR_OPTION,
    today: str | None = typer.Option(
        None, "--today", help="The day to render for, YYYY-MM-DD (default: today)."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Write report.md, report.csv and report.json into this directory."
    ),
    contacts_out: Path = typer.Option(
        DEFAULT_CONTACTS_OUT,
        "--contacts-out",
        help="With policy contacts_in_git: false, write emails and phones here (mode 0600).",
    ),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Neither read nor write the render cache (same output, slower)."
    ),
) -> None:
    """Render an HR export into desired-state/users/ and write a sync report."""
    with progress_report(Console(stderr=True)) as progress:
        result = render_to_disk(
            hr_file,
            state_dir,
            _today(today),
            report,
            contacts_out=contacts_out,
            use_cache=not no_cache,
            progress=progress,
        )
    typer.echo(f"rendered {result.source}: {result.summary()}")
    _show_issues(result, report)
    for notice in result.notices:
        typer.echo(f"warning: {notice}", err=True)


def _show_issues(result: Report, report_dir: Path | None) -> None:
    """The first rejected, quarantined and warned rows, one line each, and where all of them
    are: the counts alone left the operator asking who, and why."""
    issues = result.issues
    for issue in issues[:MAX_ISSUE_LINES]:
        where = f"line {issue.line}" if issue.line else "a row"
        who = f", employee {issue.employee_id}" if issue.employee_id else ""
        typer.echo(f"  {issue.kind} {where}{who}: {issue.reason}")
    rest = len(issues) - MAX_ISSUE_LINES
    more = f"… and {rest:,} more: " if rest > 0 else ""
    if report_dir is not None and rest > 0:
        typer.echo(f"  {more}every one is in {report_dir / 'report.md'} and report.csv")
    elif report_dir is None and issues:
        typer.echo(f"  {more}render with --report DIR for report.md and report.csv, with names")


@app.command("validate")
def validate_command(state_dir: Path = STATE_DIR_OPTION) -> None:
    """Check the desired state and its configuration (speakap.yaml too): schemas, references,
    unique ids, consistent statuses (plan and apply run the same checks), and the network's
    invite sheet template; warns when source.yaml's feed reads a variable that the shipped
    render workflow does not pass."""
    result = validate_dir(state_dir)  # an unreadable file: its one error, raised
    problems: list[SyncError] = list(result.problems)
    try:
        feed = find_feed(state_dir) if (state_dir / SOURCE_FILE).is_file() else None
    except ConfigError as error:
        problems.append(error)
        feed = None
    for hint in workflow_hints(feed) if feed is not None else ():
        typer.echo(f"warning: {state_dir / SOURCE_FILE}: {hint}", err=True)
    try:
        invites.check_template(invites.SheetSettings.for_network(state_dir, result.state))
    except ConfigError as error:
        problems.append(error)
    if len(problems) == 1:
        raise problems[0]  # one problem: one error line
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise StateError(f"{len(problems)} problem(s) in the desired state", file=state_dir)
    state = result.state
    typer.echo(f"ok: {len(state.people)} people, {len(state.org_units)} org units")


@app.command("schema")
def schema_command(
    name: str | None = typer.Argument(None, help="One schema, e.g. policy (default: all)."),
    list_names: bool = typer.Option(False, "--list", help="Only list the schema names."),
) -> None:
    """Print the JSON Schemas of the configuration and state files."""
    names = schema_names()
    if list_names:
        typer.echo("\n".join(names))
        return
    if name is not None and name not in names:
        raise SyncError(f"no schema named {name!r} (known: {', '.join(names)})")
    if name is not None:
        typer.echo(json.dumps(load_schema(name), indent=2))
    else:
        typer.echo(json.dumps({n: load_schema(n) for n in names}, indent=2))


@app.command("explain")
def explain_command(
    employee_id: str = typer.Argument(..., help="The HR employee id."),
    state_dir: Path = STATE_DIR_OPTION,
    export: Path | None = typer.Option(
        None, "--export", help="The HR export: show its rows for this id, the rule trace, why."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="The last sync report's folder: what that render said."
    ),
    today: str | None = typer.Option(
        None, "--today", help="With --export: the day to read it for, YYYY-MM-DD (default: today)."
    ),
    show_pii: bool = typer.Option(
        False, "--show-pii", help="Show emails and phones unmasked (local use only)."
    ),
) -> None:
    """Why a person is, or is not, in the desired state: their record and rules, and with the
    export or the last report, why a row was rejected, quarantined, skipped or is a pre-hire."""
    said = explain(
        employee_id,
        state_dir,
        today=_today(today),
        export=export,
        report_dir=report,
        show_pii=show_pii,
    )
    typer.echo(said)
