"""CLI commands: ``init`` (a new desired-state repository) and ``invites`` (the encrypted
printable invite sheets: a key pair for the owner, and opening a sheet)."""

from __future__ import annotations

from pathlib import Path

import typer

from reconciler.cli.app import app
from reconciler.gitops.init import init_repository
from reconciler.reconcile import sealing

invites_app = typer.Typer(help="The printable invite sheets: keys and decryption.")
app.add_typer(invites_app, name="invites")


@app.command()
def init(
    directory: Path = typer.Argument(Path("."), help="The new repository's folder."),
    force: bool = typer.Option(False, "--force", help="Overwrite files that exist already."),
) -> None:
    """Write a new desired-state repository: configuration, schemas, workflows, README."""
    result = init_repository(directory, force=force)
    for relative in result.written:
        note = " (overwritten)" if relative in result.overwritten else ""
        typer.echo(f"wrote {relative.as_posix()}{note}")
    typer.echo(
        f"next: adapt {directory / 'desired-state'}, then "
        f"`speakap-sync validate --state-dir {directory / 'desired-state'}`"
    )


@invites_app.command()
def keygen(
    out: Path = typer.Option(..., "--out", help="Where to write the private identity (0600)."),
) -> None:
    """Make an age key pair: the identity goes to OUT, the public key (for policy.yaml) is
    printed."""
    public = sealing.generate_identity(out)
    typer.echo(f"identity written to {out}; keep it off git and off CI")
    typer.echo(f"public key for policy.yaml invite_sheets.recipients: {public}")


@invites_app.command()
def decrypt(
    sheets: list[Path] = typer.Argument(..., help="Encrypted sheets (*.html.age)."),
    identity_file: Path | None = typer.Option(
        None,
        "--identity-file",
        help=f"The age identity file (default: env {sealing.IDENTITY_ENV}, then "
        f"{sealing.IDENTITY_FILE_ENV}).",
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Folder for the decrypted sheets (default: beside each sheet)."
    ),
) -> None:
    """Decrypt invite sheets with the owner's identity (never given on the command line)."""
    identities = sealing.load_identities(identity_file)
    for sheet in sheets:
        written = sealing.open_sheet(sheet, identities, out)
        typer.echo(f"decrypted {sheet} -> {written} (mode 0600: print, hand out, delete)")
