"""The typer application that every command module registers on, and ``run``, which calls it
and reports errors once. The commands are registered by importing ``reconciler.cli``."""

from __future__ import annotations

import os

import typer

from reconciler.errors import EXIT_ERROR, SyncError, env_secrets, redact

app = typer.Typer(
    name="speakap-sync",
    help="Keep a Speakap network aligned with the HR system: render, plan, apply.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
github_app = typer.Typer(help="Commands the GitHub workflows call (PR comments, render PRs).")
app.add_typer(github_app, name="github")


class Settings:
    """Process-wide switches set by the global options."""

    debug: bool = False


@app.callback()
def _global_options(
    debug: bool = typer.Option(False, "--debug", help="Show a traceback for errors."),
) -> None:
    Settings.debug = debug


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (used by tests)."""
    try:
        result = app(args=argv, standalone_mode=False, prog_name="speakap-sync")
    except SyncError as err:
        if Settings.debug:
            raise
        typer.echo(redact(f"error: {err}", env_secrets(os.environ)), err=True)
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
