"""The plan in the job summary (within GitHub's 1 MiB per step) and links to the CI run."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.gitops.github import (
    STEP_SUMMARY_LIMIT,
    GitHubError,
    append_step_summary,
    run_url_from_env,
)

GITHUB = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "versmarkt/people",
    "GITHUB_RUN_ID": "1234567890",
}


def test_the_run_url_is_made_from_the_jobs_environment() -> None:
    assert run_url_from_env(GITHUB) == "https://github.com/versmarkt/people/actions/runs/1234567890"
    enterprise = {**GITHUB, "GITHUB_SERVER_URL": "https://git.example.com/"}
    assert run_url_from_env(enterprise) == (
        "https://git.example.com/versmarkt/people/actions/runs/1234567890"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"GITHUB_RUN_ID": ""},
        {"GITHUB_RUN_ID": "12) [x](https://evil.example"},
        {"GITHUB_REPOSITORY": "a/b/c"},
        {"GITHUB_REPOSITORY": "a/b)"},
        {"GITHUB_SERVER_URL": "javascript:alert(1)"},
        {"GITHUB_SERVER_URL": "https://github.com/x y"},
    ],
)
def test_no_link_is_made_outside_a_run_or_from_values_unlike_githubs(
    change: dict[str, str],
) -> None:
    assert run_url_from_env({**GITHUB, **change}) is None
    assert run_url_from_env({}) is None


def test_the_step_summary_is_appended_and_counted_in_bytes(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step output\n")
    env = {"GITHUB_STEP_SUMMARY": str(summary)}
    assert append_step_summary("## plan ✓\n", env) == len("## plan ✓\n".encode())
    assert summary.read_text() == "# earlier step output\n## plan ✓\n"


def test_a_summary_past_githubs_limit_is_replaced_by_a_note(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_bytes(b"x" * (STEP_SUMMARY_LIMIT - 10))
    append_step_summary("a plan longer than ten bytes\n", {"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text()
    assert "a plan longer" not in text and "too large for the job summary" in text


def test_the_step_summary_needs_a_github_actions_step() -> None:
    with pytest.raises(GitHubError, match="GITHUB_STEP_SUMMARY is not set"):
        append_step_summary("x", {})


def test_github_step_summary_adds_the_plans_file_or_the_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    body = tmp_path / "step-summary.md"
    body.write_text("## speakap-sync plan: 3 joining\n")
    assert run(["github", "step-summary", "--body-file", str(body)]) == 0
    assert "job summary: 32 bytes added" in capsys.readouterr().out
    missing = tmp_path / "nothing.md"
    assert run(["github", "step-summary", "--body-file", str(missing)]) == 1
    assert "the job summary body does not exist" in capsys.readouterr().err
    assert (
        run(["github", "step-summary", "--body-file", str(missing), "--if-missing", "no plan"]) == 0
    )
    assert summary.read_text() == "## speakap-sync plan: 3 joining\nno plan\n"
