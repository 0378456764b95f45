"""The command-line edge: the only module that knows every stage.

Errors are reported here, once, as ``error: file:line: message (field ...)`` with the exit code
of the error's kind; a traceback only with ``--debug``.
"""

from __future__ import annotations

import sys

import typer

from reconciler.cli import demo, github, reconcile, render, speakap  # noqa: F401  (registration)
from reconciler.cli.app import Settings, app
from reconciler.errors import EXIT_ERROR, SyncError


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    sys.exit(run(argv))


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (used by tests)."""
    try:
        result = app(args=argv, standalone_mode=False, prog_name="speakap-sync")
    except SyncError as err:
        if Settings.debug:
            raise
        typer.echo(f"error: {err}", err=True)
        return err.exit_code
    except typer.Abort:
        typer.echo("aborted", err=True)
        return EXIT_ERROR
    except typer.TyperException as err:  # usage errors: typer prints them with the usage line
        show = getattr(err, "show", None)
        if callable(show):
            show()
        else:
            typer.echo(f"error: {err.format_message()}", err=True)
        return err.exit_code
    except typer.Exit as err:
        return err.exit_code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    return result if isinstance(result, int) else 0
