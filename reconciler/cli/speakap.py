"""CLI commands of the Speakap stage: the preflight check and the embedded simulator."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import typer

from reconciler.cli.app import app
from reconciler.errors import EXIT_ERROR
from reconciler.speakap.errors import ConfigurationError

_LABELS = {
    "ok": "[green]ok[/green]     ",
    "info": "[dim]info[/dim]   ",
    "problem": "[red]problem[/red]",
}


@app.command()
def check(
    state_dir: Path = typer.Option(
        Path("desired-state"), "--state-dir", help="The desired-state folder (speakap.yaml)."
    ),
) -> None:
    """Preflight the Speakap SCIM server: is every attribute the dialect writes declared?

    Reads /ServiceProviderConfig, /ResourceTypes and /Schemas, one page of users and groups,
    and tells whether the server fills User.groups. Exit 0 when ready, 1 when not.
    """
    from rich.console import Console
    from rich.markup import escape

    from reconciler.speakap import preflight
    from reconciler.speakap.settings import ConnectionSettings, open_client

    settings = ConnectionSettings.load(state_dir)
    with open_client(settings) as client:
        readiness = preflight.check(client, settings.dialect)
    console = Console(highlight=False, soft_wrap=True)
    console.print(f"speakap-sync check: {escape(readiness.url)}")
    for finding in readiness.findings:
        console.print(f"  {_LABELS[finding.level]}  {escape(finding.text)}")
    if readiness.ready:
        console.print(f"ready (memberships_from: {readiness.memberships_from})")
        return
    console.print(f"[red]not ready[/red]: {len(readiness.problems)} problem(s)")
    raise typer.Exit(EXIT_ERROR)


@app.command()
def simulator(
    port: int = typer.Option(8765, "--port", help="Loopback port to listen on (0: any free port)."),
    data: Path | None = typer.Option(
        None, "--data", help="JSON file with the network: loaded at start, saved on change."
    ),
    latency: float = typer.Option(0.0, "--latency", help="Seconds added to every SCIM request."),
    rate_limit: float | None = typer.Option(
        None, "--rate-limit", help="Requests per second before answering 429 + Retry-After."
    ),
    fault_rate: float = typer.Option(
        0.0, "--fault-rate", help="Share of requests that fail (500, timeout, dropped)."
    ),
    max_page_size: int = typer.Option(1000, "--max-page-size", help="Largest page served."),
    grace_days: int | None = typer.Option(
        None, "--grace-days", help="Days a deleted user stays recoverable (default: the data's)."
    ),
    offboarding: str | None = typer.Option(
        None,
        "--offboarding",
        help="After the grace period: delete (keeps names) or anonymize (default: the data's).",
    ),
) -> None:
    """Run the embedded Speakap simulator (SCIM 2.0 on loopback) until Ctrl-C.

    The bearer token is read from SPEAKAP_TOKEN (or SPEAKAP_TOKEN_FILE); it is never printed.
    """
    from reconciler.speakap.settings import token_from_env
    from reconciler.speakap.simulator import load_network, run_simulator

    token = token_from_env(os.environ)
    network = load_network(data)  # a bad file is a ConfigError naming file, line and field
    if grace_days is not None:
        network.settings.grace_days = grace_days
    if offboarding is not None:
        if offboarding not in ("delete", "anonymize"):
            raise ConfigurationError("--offboarding must be delete or anonymize")
        network.settings.offboarding = offboarding  # type: ignore[assignment]
    with run_simulator(
        token=token.reveal(),
        data=data,
        network=network,
        port=port,
        latency=latency,
        rate_limit=rate_limit,
        fault_rate=fault_rate,
        max_page_size=max_page_size,
    ) as sim:
        typer.echo(
            f"Speakap simulator on {sim.url} (inspection: {sim.url.split('/scim')[0]}/_sim/state)"
        )
        typer.echo("export SPEAKAP_URL=" + sim.url)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            typer.echo("stopping", err=True)
