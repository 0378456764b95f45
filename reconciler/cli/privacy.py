"""CLI command for erasure requests: pii-audit."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from reconciler.cli.app import app
from reconciler.cli.output import wants_json
from reconciler.gitops.pii_audit import pii_audit, render_text


@app.command("pii-audit")
def pii_audit_command(
    employee_id: str = typer.Argument(..., help="The person's employee id (the HR id)."),
    state_dir: Path = typer.Option(
        Path("desired-state"), "--state-dir", help="The desired-state folder, inside git."
    ),
    output: str = typer.Option("text", "--output", help="text or json."),
) -> None:
    """List the commits (any branch or tag) whose desired state holds a person's name or
    plain contact data, for an erasure request; prints no values."""
    as_json = wants_json(output)
    audit = pii_audit(state_dir, employee_id.strip())
    if as_json:
        typer.echo(json.dumps(audit.to_json(), indent=1))
    else:
        typer.echo(render_text(audit), nl=False)
