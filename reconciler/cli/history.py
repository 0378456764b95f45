"""CLI commands over the desired state's git history: history (a person's story) and revert."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from reconciler.cli.app import app
from reconciler.cli.output import wants_json
from reconciler.gitops.branch import current_branch
from reconciler.gitops.history import person_history, render_text
from reconciler.gitops.revert import open_pull_request, propose_revert


@app.command("history")
def history_command(
    employee_id: str = typer.Argument(..., help="The person's employee id (the HR id)."),
    state_dir: Path = typer.Option(
        Path("desired-state"), "--state-dir", help="The desired-state folder, inside git."
    ),
    output: str = typer.Option("text", "--output", help="text or json."),
    show_pii: bool = typer.Option(
        False, "--show-pii", help="Show emails and phones unmasked (local use only)."
    ),
) -> None:
    """Tell one person's story: each reviewed change (joined, moved, renamed, suspended,
    dropped) with its date and commit, whether an apply carried it out, and what open
    branches (pull requests in review) would change."""
    as_json = wants_json(output)
    story = person_history(state_dir, employee_id.strip(), show_pii=show_pii)
    if as_json:
        typer.echo(json.dumps(story.to_json(), indent=1))
    else:
        typer.echo(render_text(story), nl=False)


@app.command("revert")
def revert_command(
    commit: str = typer.Argument(..., help="The render commit to revert (id, tag or branch)."),
    state_dir: Path = typer.Option(
        Path("desired-state"), "--state-dir", help="The desired-state folder, inside git."
    ),
    branch: str | None = typer.Option(
        None, "--branch", help="The revert branch (default: speakap-sync/revert-<commit>)."
    ),
    base: str | None = typer.Option(None, "--base", help="Target branch (default: current)."),
    pull_request: bool = typer.Option(
        True, "--pr/--no-pr", help="Push the branch and open its pull request (GitHub env)."
    ),
) -> None:
    """Propose, as a pull request, the desired state from before COMMIT for the people it
    changed; the plan on that pull request shows what Speakap will see."""
    proposal = propose_revert(state_dir, commit, branch)
    typer.echo(f"{proposal.branch} at {proposal.sha[:12]}: {proposal.title()}")
    for entry in (*proposal.restored, *proposal.kept):
        typer.echo(f"  {entry.employee_id} {entry.name}: {entry.outcome}")
    if pull_request:
        target = base or current_branch(state_dir)
        outcome, number, url = open_pull_request(state_dir, proposal, target)
        typer.echo(f"{outcome} pull request #{number} {url}".rstrip())
