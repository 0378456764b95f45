"""CLI command: fetch (page through the HR system's API into the export render reads)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from reconciler.cli.app import app
from reconciler.cli.progress import progress_report
from reconciler.feeds import fetch_feed


@app.command("fetch")
def fetch_command(
    out: Path = typer.Option(..., "--out", help="Where to write the export (JSON)."),
    state_dir: Path = typer.Option(
        Path("desired-state"), "--state-dir", help="The desired-state folder (its source.yaml)."
    ),
) -> None:
    """Fetch every record from the HR API described by source.yaml's `feed:` (secrets from
    the environment) and write them as one JSON export for `render`."""
    with progress_report(Console(stderr=True)) as progress:
        result = fetch_feed(state_dir, out, progress=progress)
    typer.echo(f"HR feed: {result.records:,} record(s) in {result.pages} page(s) written to {out}")
