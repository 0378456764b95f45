"""CLI command: history (a person's story, told from the desired state's git history)."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from reconciler.cli.app import app
from reconciler.errors import InputError
from reconciler.gitops.history import person_history, render_text


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
    dropped) with its date and commit, and whether an apply carried it out."""
    if output not in ("text", "json"):
        raise InputError("--output must be 'text' or 'json'", field="--output")
    story = person_history(state_dir, employee_id.strip(), show_pii=show_pii)
    if output == "json":
        typer.echo(json.dumps(story.to_json(), indent=1))
    else:
        typer.echo(render_text(story), nl=False)
