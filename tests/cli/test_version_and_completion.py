"""``--version`` prints the installed package's version; shell completion is on and answers
without disturbing the commands; the pre-commit hook calls a command that exists."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from reconciler.cli import run

ROOT = Path(__file__).resolve().parents[2]


def pyproject_version() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def test_version_prints_the_pyproject_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"speakap-sync {pyproject_version()}"


def test_version_wins_over_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--version", "plan"]) == 0
    assert capsys.readouterr().out.startswith("speakap-sync ")


def test_help_offers_completion(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    out = capsys.readouterr().out
    assert "--install-completion" in out and "--show-completion" in out


def show_completion_in(shell: str) -> subprocess.CompletedProcess[str]:
    """``speakap-sync --show-completion`` as typed at a ``shell`` prompt: the shell is the
    command's parent process, which is where typer looks, whatever ``$SHELL`` says. (The
    ``exit`` keeps the shell from replacing itself with the command.)"""
    if shutil.which(shell) is None:
        pytest.skip(f"no {shell} on this machine")
    line = '"$0" -m reconciler --show-completion; exit $?'
    return subprocess.run(
        [shell, "-c", line, sys.executable],
        env=os.environ | {"SHELL": "/bin/sh"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_show_completion_in_bash_prints_the_bash_script_whatever_shell_is_set() -> None:
    done = show_completion_in("bash")
    assert done.returncode == 0, done.stderr
    assert "_speakap_sync_completion()" in done.stdout
    assert "complete -o default -F _speakap_sync_completion speakap-sync" in done.stdout


def test_show_completion_in_sh_is_one_error_line_naming_the_shells_it_serves() -> None:
    done = show_completion_in("sh")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        "error: shell completion is for bash, zsh, fish or PowerShell, and this runs in sh: run "
        "`speakap-sync --show-completion` (or --install-completion) from one of those\n"
    )


def completions(words: str, cword: int) -> list[str]:
    env = os.environ | {
        "_SPEAKAP_SYNC_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
    }
    code = "from reconciler.cli import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_completion_names_commands_and_subcommands() -> None:
    assert "plan" in completions("speakap-sync pl", 1)
    assert set(completions("speakap-sync github fetch-", 2)) >= {"fetch-plan", "fetch-export"}


def test_the_pre_commit_hook_runs_validate_on_the_desired_state() -> None:
    hooks = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    (hook,) = hooks
    assert hook["id"] == "speakap-sync-validate"
    assert hook["entry"] == "speakap-sync validate" and hook["pass_filenames"] is False
    assert run(["validate", "--help"]) == 0


def test_the_package_declares_its_type_hints() -> None:
    assert (ROOT / "reconciler" / "py.typed").is_file()
