"""The typer application that every command module registers on, and ``run``, which calls it
and reports errors once. The commands are registered by importing ``reconciler.cli``."""

from __future__ import annotations

import inspect
import itertools
import os
import sys
from importlib import metadata

import shellingham
import typer

from reconciler.cli.progress import warnings_to
from reconciler.errors import EXIT_ERROR, SyncError, env_secrets, redact

app = typer.Typer(
    name="speakap-sync",
    help="Keep a Speakap network aligned with the HR system: render, plan, apply.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)
github_app = typer.Typer(help="Commands the GitHub workflows call (PR comments, render PRs).")
app.add_typer(github_app, name="github")


def one_line_summaries(typer_app: typer.Typer) -> None:
    """A command table shows each command's first docstring paragraph with its line breaks
    kept (mid-sentence breaks in a narrow column); give each command that paragraph as one
    line. Call once every command is registered."""
    for info in typer_app.registered_commands:
        doc = info.help or (inspect.getdoc(info.callback) if info.callback else None)
        if info.short_help is None and doc:
            info.short_help = " ".join(doc.split("\n\n", 1)[0].split())
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            one_line_summaries(group.typer_instance)


class Settings:
    """Process-wide switches set by the global options."""

    debug: bool = False


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"speakap-sync {package_version()}")
        raise typer.Exit(0)


def package_version() -> str:
    """The installed distribution's version (pyproject.toml's ``version``)."""
    try:
        return metadata.version("speakap-sync")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"


@app.callback()
def _global_options(
    debug: bool = typer.Option(False, "--debug", help="Show a traceback for errors."),
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        callback=_print_version,
        is_eager=True,
    ),
) -> None:
    Settings.debug = debug


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (used by tests)."""
    try:
        _check_completion_shell(sys.argv[1:] if argv is None else argv)
        with warnings_to(_warning_line):  # retries, 429 waits, a fail-fast stop
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
    except SystemExit as err:  # the completion options end the process themselves
        return err.code if isinstance(err.code, int) else EXIT_ERROR if err.code else 0
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return 130
    return result if isinstance(result, int) else 0


_COMPLETION_OPTIONS = frozenset({"--show-completion", "--install-completion"})
_COMPLETION_SHELLS = ("bash", "zsh", "fish", "powershell", "pwsh")  # typer has scripts for these


def _check_completion_shell(argv: list[str]) -> None:
    """``--show-completion`` and ``--install-completion`` are for the shell they run in, which
    typer finds as shellingham does, from the parent processes (not ``$SHELL``). In any other
    shell (``sh`` under ``make`` or a CI step) typer would only say "Shell sh not supported.":
    say it as one error line that tells what to do."""
    options = list(itertools.takewhile(lambda word: word.startswith("-"), argv))
    if not _COMPLETION_OPTIONS & set(options):
        return
    try:
        shell: str | None = shellingham.detect_shell()[0]
    except (shellingham.ShellDetectionFailure, RuntimeError):
        shell = None
    if shell in _COMPLETION_SHELLS:
        return
    found = f"this runs in {shell}" if shell else "no shell was found among the parent processes"
    raise SyncError(
        f"shell completion is for bash, zsh, fish or PowerShell, and {found}: run "
        "`speakap-sync --show-completion` (or --install-completion) from one of those"
    )


def _warning_line(line: str) -> None:
    typer.echo(line, err=True)
