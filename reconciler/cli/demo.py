"""CLI commands: demo (what `make demo` runs)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from reconciler.cli.app import app


@app.command()
def demo(
    workdir: Path | None = typer.Option(
        None, "--workdir", help="Folder to play in (default: a new temporary folder, kept)."
    ),
) -> None:
    """Play the GitOps loop on the embedded simulator: render, plan, merge, apply, next day."""
    from reconciler.cli.app import run  # the same command lines the workflows run
    from reconciler.demo import run_demo

    result = run_demo(run, Console(), workdir)
    failed = {step: code for step, code in result.exit_codes.items() if code not in (0, 2)}
    if any(step.startswith(("plan", "apply")) for step in failed):
        raise typer.Exit(1)
