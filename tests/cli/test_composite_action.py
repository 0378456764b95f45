"""The composite action (action.yml): its inputs, its pins, and its entry point, which splits
the command line like a shell without running one and passes --state-dir where it belongs."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.cli.action import command_line, main

ROOT = Path(__file__).resolve().parents[2]


def action() -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((ROOT / "action.yml").read_text())
    return data


def test_the_action_is_composite_with_command_state_dir_and_version_inputs() -> None:
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert {"command", "state-dir", "version"} <= set(spec["inputs"])
    assert spec["inputs"]["command"]["required"] is True


def test_the_action_pins_its_actions_and_installs_an_exact_version_or_its_checkout() -> None:
    steps = action()["runs"]["steps"]
    for step in steps:
        if "uses" in step:
            assert re.match(r"^[\w-]+/[\w-]+@[0-9a-f]{40}$", step["uses"]), step["uses"]
    install = next(s for s in steps if "pip install" in str(s.get("run")))
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert 'requirement="speakap-sync==$VERSION"' in install["run"]
    assert any("actions/cache@" in str(s.get("uses")) for s in steps)


def test_quotes_group_words_and_variables_expand() -> None:
    env = {"SPEAKAP_SYNC_COMMAND": 'github comment --body-file "$OUT/plan.md"', "OUT": "/t"}
    assert command_line(env) == ["github", "comment", "--body-file", "/t/plan.md"]


def test_the_state_dir_is_added_only_to_commands_that_take_it() -> None:
    env = {"SPEAKAP_SYNC_STATE_DIR": "state"}
    assert command_line(env | {"SPEAKAP_SYNC_COMMAND": "plan --out o"})[-2:] == [
        "--state-dir",
        "state",
    ]
    assert command_line(env | {"SPEAKAP_SYNC_COMMAND": "schema --list"}) == ["schema", "--list"]
    named = command_line(env | {"SPEAKAP_SYNC_COMMAND": "validate --state-dir=x"})
    assert named == ["validate", "--state-dir=x"]
    nested = command_line(env | {"SPEAKAP_SYNC_COMMAND": "speakap-sync github open-pr"})
    assert nested == ["github", "open-pr", "--state-dir", "state"]


def test_a_shell_metacharacter_is_a_word_not_a_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned"
    output = tmp_path / "output"
    env = {"SPEAKAP_SYNC_COMMAND": f"schema --list; touch {marker}", "GITHUB_OUTPUT": str(output)}
    assert main(env) == 2  # a usage error: ';' and 'touch' are arguments schema refuses
    assert not marker.exists()
    assert output.read_text() == "exit-code=2\n"


def test_an_empty_or_unbalanced_command_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main({"SPEAKAP_SYNC_COMMAND": ""}) == 1
    assert main({"SPEAKAP_SYNC_COMMAND": 'plan --out "unclosed'}) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [
        "error: the input `command` is empty",
        "error: the input `command` does not split into words: No closing quotation",
    ]


def test_the_exit_code_of_the_command_is_returned(capsys: pytest.CaptureFixture[str]) -> None:
    assert main({"SPEAKAP_SYNC_COMMAND": "schema --list"}) == 0
    assert "policy" in capsys.readouterr().out
