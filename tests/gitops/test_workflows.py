"""The workflows a customer copies: their shape, their secrets, and the commands they call."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.cli import run
from reconciler.gitops.github import PLAN_ARTIFACT, PLAN_WORKFLOW

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((WORKFLOWS / f"{name}.yml").read_text())
    return data


def steps(name: str) -> list[dict[str, Any]]:
    return [step for job in load(name)["jobs"].values() for step in job["steps"]]


def run_lines(name: str) -> list[str]:
    return [" ".join(str(s["run"]).split()) for s in steps(name) if "run" in s]


@pytest.mark.parametrize("name", ["render", "plan", "apply"])
def test_steps_call_the_cli_and_hold_no_shell_logic(name: str) -> None:
    for line in run_lines(name):
        assert line.startswith(("speakap-sync ", "python -m pip install ")), line
        assert not re.search(r"[;|&`]|\$\(|(^|\s)(if|then|for|while|echo)\s", line), line


@pytest.mark.parametrize("name", ["render", "plan", "apply"])
def test_the_speakap_token_only_comes_from_secrets_and_is_never_echoed(name: str) -> None:
    text = (WORKFLOWS / f"{name}.yml").read_text()
    for step in steps(name):
        assert "secrets." not in str(step.get("run", "")) and "echo" not in str(step.get("run"))
        token = (step.get("env") or {}).get("SPEAKAP_TOKEN")
        assert token in (None, "${{ secrets.SPEAKAP_TOKEN }}")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    uses = code.count("SPEAKAP_TOKEN: ${{ secrets.SPEAKAP_TOKEN }}")
    assert code.count("SPEAKAP_TOKEN") == 2 * uses and (uses > 0) == (name != "render")


def test_applies_never_overlap_and_are_never_cancelled() -> None:
    apply = load("apply")
    assert apply["concurrency"]["group"] == "speakap-sync-apply"
    assert apply["concurrency"]["cancel-in-progress"] is False
    assert apply["on"]["push"]["paths"] == ["desired-state/**"]


def test_the_plan_artifact_is_what_apply_fetches() -> None:
    assert (WORKFLOWS / "plan.yml").relative_to(ROOT).as_posix() == PLAN_WORKFLOW
    assert any(line.startswith("speakap-sync github fetch-plan") for line in run_lines("apply"))
    uploads = [s for s in steps("plan") if str(s.get("uses", "")).startswith("actions/upload")]
    assert [u["with"]["name"] for u in uploads] == [PLAN_ARTIFACT]
    comment = next(s for s in steps("plan") if "github comment" in str(s.get("run")))
    assert comment["if"] == "${{ !cancelled() }}"  # a blocked plan is still posted


def test_the_plan_workflow_shows_the_plan_in_the_job_summary_and_keeps_plan_html() -> None:
    summary = next(s for s in steps("plan") if "github step-summary" in str(s.get("run")))
    assert summary["if"] == "${{ !cancelled() }}"
    assert '"$RUNNER_TEMP/plan/step-summary.md"' in summary["run"]
    upload = next(s for s in steps("plan") if str(s.get("uses", "")).startswith("actions/upload"))
    kept = {Path(line).name for line in upload["with"]["path"].split()}
    assert {"plan.json", "plan.md", "plan.html"} <= kept


def test_every_command_in_the_workflows_exists(capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("render", "plan", "apply"):
        for line in run_lines(name):
            if not line.startswith("speakap-sync "):
                continue
            words = shlex.split(line)[1:]
            command = words[: 2 if words[0] == "github" else 1]
            assert run([*command, "--help"]) == 0, line
            usage = capsys.readouterr().out
            for option in (w for w in words if w.startswith("--")):
                assert option in usage, f"{line}: {option} unknown"
