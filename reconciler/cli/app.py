"""The typer application that every command module registers on."""

from __future__ import annotations

import typer

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
