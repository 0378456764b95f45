"""The workflows a desired-state repository runs: their shape, their credentials, their pins,
and the commands they call. The thin triggers (render, plan, apply) call the reusable jobs
(speakap-sync-render, -plan, -apply) that hold the steps."""

from __future__ import annotations

import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.cli import run
from reconciler.gitops.github import PLAN_ARTIFACT, PLAN_WORKFLOW

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
TRIGGERS = ("render", "plan", "apply")
FILES = sorted(WORKFLOWS.glob("*.yml"))
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = YAML(typ="safe").load((WORKFLOWS / f"{name}.yml").read_text())
    return data


def steps(name: str) -> list[dict[str, Any]]:
    """The steps of a trigger's reusable job (or of the workflow itself)."""
    jobs = load(f"speakap-sync-{name}" if name in TRIGGERS else name)["jobs"]
    return [step for job in jobs.values() for step in job.get("steps", [])]


def run_lines(name: str) -> list[str]:
    return [" ".join(str(s["run"]).split()) for s in steps(name) if "run" in s]


def version() -> str:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return str(data["project"]["version"])


def test_each_trigger_calls_its_reusable_job_in_this_repository() -> None:
    for name in TRIGGERS:
        (job,) = load(name)["jobs"].values()
        assert job["uses"] == f"./.github/workflows/speakap-sync-{name}.yml"
        assert "workflow_call" in load(f"speakap-sync-{name}")["on"]


@pytest.mark.parametrize("name", TRIGGERS)
def test_steps_call_the_cli_and_hold_no_shell_logic(name: str) -> None:
    for line in run_lines(name):
        assert line.startswith(("speakap-sync ", "python -m pip install ")), line
        assert not re.search(r"[;|&`]|\$\(|(^|\s)(if|then|for|while|echo)\s", line), line


def test_the_plan_of_a_pull_request_never_sees_the_write_token() -> None:
    for name in ("plan", "speakap-sync-plan"):
        text = (WORKFLOWS / f"{name}.yml").read_text()
        assert "secrets.SPEAKAP_TOKEN" not in text
    tokens = {(s.get("env") or {}).get("SPEAKAP_TOKEN") for s in steps("plan")} - {None}
    assert tokens == {"${{ secrets.SPEAKAP_READ_TOKEN }}"}


def test_the_write_token_lives_only_in_the_protected_apply_environment() -> None:
    (job,) = load("speakap-sync-apply")["jobs"].values()
    assert job["environment"] == "speakap"
    for path in FILES:
        uses = path.read_text().count("${{ secrets.SPEAKAP_TOKEN }}")
        assert uses == (1 if path.name == "speakap-sync-apply.yml" else 0), path.name


@pytest.mark.parametrize("name", TRIGGERS)
def test_secrets_are_only_passed_in_env_and_never_echoed(name: str) -> None:
    for step in steps(name):
        assert "secrets." not in str(step.get("run", "")) and "echo" not in str(step.get("run"))


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_action_is_pinned_by_a_full_commit_sha_with_its_tag(path: Path) -> None:
    for line in path.read_text().splitlines():
        match = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if not match or match.group(1).startswith("./"):
            continue
        assert SHA_PIN.match(match.group(1)), line
        assert re.match(r"^\s*# v\d+(\.\d+)*\b", match.group(2)), f"no tag comment: {line}"


@pytest.mark.parametrize("name", TRIGGERS)
def test_the_package_is_installed_pinned_to_this_version(name: str) -> None:
    inputs = load(f"speakap-sync-{name}")["on"]["workflow_call"]["inputs"]
    assert inputs["requirement"]["default"] == f"speakap-sync=={version()}"
    installs = [s for s in steps(name) if "pip install" in str(s.get("run"))]
    assert [s["env"]["REQUIREMENT"] for s in installs] == ["${{ inputs.requirement }}"]
    for path in FILES:
        for line in path.read_text().splitlines():
            assert not re.search(r"pip install[^#]*\bspeakap-sync\b(?!==)", line), line


@pytest.mark.parametrize("name", TRIGGERS)
def test_checkouts_keep_no_credentials_unless_the_job_pushes(name: str) -> None:
    pushes = name in ("render", "apply")  # the render branch, the last-applied tag
    for step in steps(name):
        if str(step.get("uses", "")).startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is pushes


def test_the_required_plan_check_runs_on_every_pull_request_and_skips_inside() -> None:
    trigger = load("plan")["on"]["pull_request"]
    assert "paths" not in trigger and "paths-ignore" not in trigger
    scope = next(s for s in steps("plan") if "github changed" in str(s.get("run")))
    later = steps("plan")[steps("plan").index(scope) + 1 :]
    assert all("steps.scope.outputs.changed == 'true'" in str(s.get("if")) for s in later)


def test_applies_never_overlap_and_are_never_cancelled() -> None:
    apply = load("apply")
    assert apply["concurrency"]["group"] == "speakap-sync-apply"
    assert apply["concurrency"]["cancel-in-progress"] is False
    assert apply["on"]["push"]["paths"] == ["desired-state/**"]


def test_artifacts_are_kept_whatever_the_outcome_and_sheets_only_encrypted() -> None:
    for name in ("render", "apply"):
        for upload in (s for s in steps(name) if "upload-artifact" in str(s.get("uses"))):
            assert upload["if"] == "${{ always() }}"
    (upload,) = (s for s in steps("apply") if "upload-artifact" in str(s.get("uses")))
    paths = upload["with"]["path"].strip().splitlines()
    invites = [p for p in paths if "invites" in p]
    assert invites == ["${{ runner.temp }}/apply/invites/*.age"]


def test_the_plan_artifact_is_what_apply_fetches() -> None:
    assert (WORKFLOWS / "plan.yml").relative_to(ROOT).as_posix() == PLAN_WORKFLOW
    assert any(line.startswith("speakap-sync github fetch-plan") for line in run_lines("apply"))
    uploads = [s for s in steps("plan") if str(s.get("uses", "")).startswith("actions/upload")]
    assert [u["with"]["name"] for u in uploads] == [PLAN_ARTIFACT]
    comment = next(s for s in steps("plan") if "github comment" in str(s.get("run")))
    assert "!cancelled()" in comment["if"]  # a blocked plan is still posted


def test_the_plan_workflow_shows_the_plan_in_the_job_summary_and_keeps_plan_html() -> None:
    summary = next(s for s in steps("plan") if "github step-summary" in str(s.get("run")))
    assert "!cancelled()" in summary["if"]
    assert '"$RUNNER_TEMP/plan/step-summary.md"' in summary["run"]
    upload = next(s for s in steps("plan") if str(s.get("uses", "")).startswith("actions/upload"))
    kept = {Path(line.strip()).name for line in upload["with"]["path"].strip().splitlines()}
    assert {"plan.json", "plan.md", "plan.html"} <= kept


def test_every_command_in_the_workflows_exists(capsys: pytest.CaptureFixture[str]) -> None:
    for name in TRIGGERS:
        for line in run_lines(name):
            if not line.startswith("speakap-sync "):
                continue
            words = shlex.split(line)[1:]
            command = words[: 2 if words[0] == "github" else 1]
            assert run([*command, "--help"]) == 0, line
            usage = capsys.readouterr().out
            for option in (w for w in words if w.startswith("--")):
                assert option in usage, f"{line}: {option} unknown"


def test_a_staged_rollout_runs_the_apply_workflow_by_hand_with_selectors() -> None:
    trigger = load("apply")
    assert trigger["on"]["workflow_dispatch"]["inputs"]["selector"]["default"] == ""
    (job,) = trigger["jobs"].values()
    assert job["with"]["selector"] == "${{ inputs.selector || '' }}"
    assert job["if"] == "${{ github.ref_name == github.event.repository.default_branch }}"
    (step,) = (s for s in steps("apply") if "speakap-sync apply" in str(s.get("run")))
    assert step["env"]["SPEAKAP_SYNC_ONLY"] == "${{ inputs.selector }}"  # read as apply's --only
    # the untrusted input reaches no script: only the environment
    for name in ("apply", "speakap-sync-apply"):
        text = (WORKFLOWS / f"{name}.yml").read_text()
        runs = [str(s.get("run", "")) for s in steps(name)]
        assert not any("inputs.selector" in r for r in runs)
        assert text.count("inputs.selector") == 1
    fetch = next(line for line in run_lines("apply") if "fetch-plan" in line)
    assert '--state-dir "$STATE_DIR"' in fetch  # the merge that last changed the state


def test_render_keeps_its_cache_between_runs_and_only_render_uses_one() -> None:
    render = steps("render")
    (cache,) = (s for s in render if str(s.get("uses", "")).startswith("actions/cache@"))
    assert cache["with"]["path"] == "${{ inputs.state-dir }}/.speakap-sync-cache"
    # a cache entry is immutable: a new key per run, restored from the latest by prefix
    key, restore = cache["with"]["key"], cache["with"]["restore-keys"]
    assert key.endswith("-${{ github.run_id }}") and key.startswith(restore)
    renders = [s for s in render if "speakap-sync render " in str(s.get("run"))]
    assert render.index(cache) < render.index(renders[0])
    for name in ("plan", "apply"):  # jobs a pull request can reach read no render cache
        assert not any("actions/cache@" in str(s.get("uses", "")) for s in steps(name))
