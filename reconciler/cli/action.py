"""The composite action's entry point (``action.yml``): ``python -m reconciler.cli.action``.

It reads the command line from ``SPEAKAP_SYNC_COMMAND`` and splits it as a shell would (quotes
group words, ``$VARS`` expand) without running a shell, so an input can never inject one. A
command that takes ``--state-dir`` gets ``SPEAKAP_SYNC_STATE_DIR`` unless the line names one.
The exit code is both the process's and the step output ``exit-code``.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from collections.abc import Mapping
from typing import Any

import typer.main

from reconciler.cli import run
from reconciler.cli.app import app
from reconciler.errors import EXIT_ERROR
from reconciler.gitops.pull_scope import write_step_output

_VARIABLE = re.compile(r"\$(?:([A-Za-z_]\w*)|\{([A-Za-z_]\w*)\})")


def command_line(env: Mapping[str, str]) -> list[str]:
    """The words to run, ``--state-dir`` added where the command takes one and lacks it."""
    try:
        words = [_expand(word, env) for word in shlex.split(env["SPEAKAP_SYNC_COMMAND"])]
    except KeyError:
        raise ValueError("the input `command` is empty") from None
    except ValueError as err:
        raise ValueError(f"the input `command` does not split into words: {err}") from None
    if words and words[0] == "speakap-sync":
        words = words[1:]
    if not words:
        raise ValueError("the input `command` is empty")
    state_dir = env.get("SPEAKAP_SYNC_STATE_DIR")
    named = any(w == "--state-dir" or w.startswith("--state-dir=") for w in words)
    if state_dir and not named and _takes_state_dir(words):
        words += ["--state-dir", state_dir]
    return words


def _expand(word: str, env: Mapping[str, str]) -> str:
    """``$NAME`` and ``${NAME}`` from ``env``; an unknown name stays as written."""
    return _VARIABLE.sub(lambda m: env.get(m.group(1) or m.group(2), m.group(0)), word)


def _takes_state_dir(words: list[str]) -> bool:
    command: Any = typer.main.get_command(app)
    for word in (w for w in words if not w.startswith("-")):
        subcommands = getattr(command, "commands", None) or {}
        if word not in subcommands:
            break
        command = subcommands[word]
    return any("--state-dir" in getattr(p, "opts", ()) for p in command.params)


def main(env: Mapping[str, str] | None = None) -> int:
    env = os.environ if env is None else env
    try:
        words = command_line(env)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        code = EXIT_ERROR
    else:
        code = run(words)
    write_step_output("exit-code", str(code), env)
    return code


if __name__ == "__main__":
    sys.exit(main())
