"""The render job's steps, run as the workflow spells them: with a `feed:` in source.yaml the
export comes from the HR system's API (here the local fake AFAS), without one from the
workflow's source; either way render reads what was fetched."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from reconciler.cli import run
from reconciler.feeds.config import WORKFLOW_VARIABLES
from tests.feeds.fake_hr import AFAS_TOKEN, run_fake_hr
from tests.feeds.test_fetch import SAMPLE, sample_rows, state_with_feed

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows"
FEED_SECRETS = WORKFLOW_VARIABLES


def render_steps() -> list[dict[str, Any]]:
    data: dict[str, Any] = YAML(typ="safe").load((WORKFLOW / "speakap-sync-render.yml").read_text())
    (job,) = data["jobs"].values()
    steps: list[dict[str, Any]] = job["steps"]
    return steps


def run_step(step: dict[str, Any], env: dict[str, str], feed: str) -> int:
    """Run one step's speakap-sync command with its variables expanded, as bash would."""
    condition = str(step.get("if", "true"))
    if "steps.source.outputs.feed == 'true'" in condition and feed != "true":
        return 0
    if "steps.source.outputs.feed != 'true'" in condition and feed == "true":
        return 0
    step_env = dict(env)
    for name, value in dict(step.get("env", {})).items():
        if name == "EXPORT_FILE":  # the expression: the feed's file, else the input `file`
            value = "hr-feed.json" if feed == "true" else env["HR_FILE"]
        step_env[name] = str(value)
    line = " ".join(str(step["run"]).split())
    line = re.sub(r"\$(\w+)", lambda m: step_env.get(m.group(1), ""), line)
    words = shlex.split(line)
    assert words[0] == "speakap-sync"
    return run(words[1:])


def fetch_and_render(state: Path, tmp_path: Path, env: dict[str, str]) -> str:
    """The steps from has-feed to render; returns the step output `feed`."""
    output = tmp_path / "github-output"
    output.write_text("")
    env = {**env, "GITHUB_OUTPUT": str(output), "STATE_DIR": str(state)}
    env |= {"RUNNER_TEMP": str(tmp_path), "HR_FILE": "hr-export.csv"}
    names = [s["name"] for s in render_steps()]
    first = next(i for i, n in enumerate(names) if "source.yaml describe" in n)
    last = next(i for i, n in enumerate(names) if n == "Render the desired state")
    feed = ""
    for step in render_steps()[first : last + 1]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("GITHUB_OUTPUT", str(output))
            for name in FEED_SECRETS:
                if name in env:
                    patch.setenv(name, env[name])
            assert run_step(step, env, feed) == 0, step["name"]
        found = re.findall(r"^feed=(\w+)$", output.read_text(), re.M)
        feed = found[-1] if found else feed
    return feed


def test_with_a_feed_the_render_job_fetches_from_the_hr_api_and_renders_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = sample_rows()
    with run_fake_hr(rows) as hr:
        state = state_with_feed(tmp_path, f"feed:\n  preset: afas\n  url: {hr.afas_url()}\n")
        feed = fetch_and_render(state, tmp_path, {"AFAS_TOKEN": AFAS_TOKEN})
    assert feed == "true"
    assert any("skip=0" in r for r in hr.requests)
    out = capsys.readouterr().out
    assert "source.yaml has a feed (preset afas): the HR export comes from http://127.0.0.1" in out
    assert "/ProfitRestServices" not in out  # the URL's path is not printed
    assert (tmp_path / "hr-feed.json").is_file() and not (tmp_path / "hr-export.csv").exists()
    assert len(list((state / "users").glob("*.yaml"))) > 0


def test_without_a_feed_the_render_job_fetches_the_workflows_source(tmp_path: Path) -> None:
    state = state_with_feed(tmp_path, "")
    shutil.copy(SAMPLE, tmp_path / "export.csv")
    env = {"HR_SOURCE": "path", "HR_LOCATION": str(tmp_path / "export.csv")}
    assert fetch_and_render(state, tmp_path, env) == "false"
    assert (tmp_path / "hr-export.csv").is_file() and not (tmp_path / "hr-feed.json").exists()
    assert len(list((state / "users").glob("*.yaml"))) > 0


def test_the_feed_secrets_reach_only_the_fetch_step_and_the_trigger_passes_them() -> None:
    holders = [s for s in render_steps() if set(FEED_SECRETS) & set(s.get("env", {}))]
    assert [s["name"] for s in holders] == [
        "Fetch the HR export from the HR system's API (source.yaml feed)"
    ]
    # exactly the variables `validate` and `fetch` tell the admin the workflow passes
    assert set(holders[0]["env"]) == set(WORKFLOW_VARIABLES)
    reusable: dict[str, Any] = YAML(typ="safe").load(
        (WORKFLOW / "speakap-sync-render.yml").read_text()
    )
    declared = reusable["on"]["workflow_call"]["secrets"]
    assert set(WORKFLOW_VARIABLES) <= set(declared)
    trigger: dict[str, Any] = YAML(typ="safe").load((WORKFLOW / "render.yml").read_text())
    (job,) = trigger["jobs"].values()
    for name in FEED_SECRETS:
        assert job["secrets"][name] == f"${{{{ secrets.{name} }}}}"


def test_a_broken_feed_stops_the_render_job_before_anything_is_fetched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state = state_with_feed(tmp_path, "feed:\n  url: https://hr.example/api\n  auth:\n")
    source = state / "source.yaml"
    source.write_text(source.read_text() + "    type: oauth2\n")  # without its token_url
    output = tmp_path / "github-output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    assert run(["github", "has-feed", "--state-dir", str(state)]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "oauth2 needs a `token_url`" in line and "source.yaml" in line
    assert not output.exists()
