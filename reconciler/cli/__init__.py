"""The command-line edge: the only package that knows every stage.

Importing it registers every command on the typer app. Errors are reported once, by ``run``
(``cli/app.py``), as ``error: file:line: message (field ...)`` with the exit code of the
error's kind; a traceback only with ``--debug``.
"""

from __future__ import annotations

import sys

from reconciler.cli import (  # noqa: F401  (registration)
    adopt,
    demo,
    fetch,
    github,
    history,
    privacy,
    reconcile,
    render,
    speakap,
)
from reconciler.cli.app import app, one_line_summaries, run

one_line_summaries(app)

__all__ = ["main", "run"]


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    sys.exit(run(argv))
