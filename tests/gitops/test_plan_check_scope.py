"""The plan check reports on every pull request: it plans when the pull request changes the
desired state (or when that cannot be told) and passes at once when it does not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.gitops.pull_scope import pull_request_scope, write_step_output
from tests.gitops.conftest import Checkout


def event_file(tmp_path: Path, base: str) -> Path:
    path = tmp_path / "event.json"
    path.write_text(json.dumps({"pull_request": {"number": 7, "base": {"sha": base}}}))
    return path


def commit(checkout: Checkout, name: str, text: str) -> None:
    path = checkout.root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    checkout.git("add", "--all")
    checkout.git("commit", "--quiet", "-m", f"change {name}")


def test_a_pull_request_that_touches_only_other_files_needs_no_plan(
    checkout: Checkout, tmp_path: Path
) -> None:
    base = checkout.head()
    commit(checkout, "README.md", "a better readme\n")
    env = {"GITHUB_EVENT_PATH": str(event_file(tmp_path, base))}
    scope = pull_request_scope(checkout.state_dir, env)
    assert not scope.changed and scope.files == ()
    assert "unchanged" in scope.reason


def test_a_pull_request_that_changes_the_desired_state_is_planned(
    checkout: Checkout, tmp_path: Path
) -> None:
    base = checkout.head()
    commit(checkout, "desired-state/policy.yaml", "grace_days: 10\n")
    env = {"GITHUB_EVENT_PATH": str(event_file(tmp_path, base))}
    scope = pull_request_scope(checkout.state_dir, env)
    assert scope.changed and scope.files == ("desired-state/policy.yaml",)


def test_without_a_pull_request_event_it_plans(checkout: Checkout) -> None:
    assert pull_request_scope(checkout.state_dir, {}).changed


def test_an_unknown_base_commit_plans_rather_than_skips(checkout: Checkout, tmp_path: Path) -> None:
    env = {"GITHUB_EVENT_PATH": str(event_file(tmp_path, "0" * 40))}
    scope = pull_request_scope(checkout.state_dir, env)
    assert scope.changed and "could not compare" in scope.reason


def test_the_step_output_is_appended_for_the_next_steps(tmp_path: Path) -> None:
    out = tmp_path / "output"
    out.write_text("earlier=1\n")
    assert write_step_output("changed", "false", {"GITHUB_OUTPUT": str(out)})
    assert out.read_text() == "earlier=1\nchanged=false\n"
    assert not write_step_output("changed", "false", {})


def test_the_command_writes_changed_for_the_workflow(
    checkout: Checkout,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base = checkout.head()
    commit(checkout, "desired-state/policy.yaml", "grace_days: 10\n")
    output = tmp_path / "output"
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event_file(tmp_path, base)))
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.chdir(checkout.root)
    assert run(["github", "changed", "--state-dir", "desired-state"]) == 0
    assert output.read_text() == "changed=true\n"
    assert "desired-state/policy.yaml" in capsys.readouterr().out
