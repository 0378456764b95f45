"""A feed may read any environment variable, but the shipped render workflow passes only
`WORKFLOW_VARIABLES` to fetch: `validate` warns before CI, and `fetch` says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.feeds.config import WORKFLOW_VARIABLES, parse_feed, workflow_hints
from tests.feeds.test_fetch import state_with_feed

OWN_TOKEN = (
    "feed:\n  url: http://127.0.0.1:9/x\n  auth:\n    type: bearer\n    token_env: MY_HR_TOKEN\n"
)
OWN_OAUTH = (
    "feed:\n  url: http://127.0.0.1:9/x\n  auth:\n    type: oauth2\n"
    "    token_url: http://127.0.0.1:9/token\n    client_id_env: HR_FEED_CLIENT_ID\n"
    "    client_secret_env: MY_HR_SECRET\n"
)


def validate_warning(tmp_path: Path, feed: str, capsys: pytest.CaptureFixture[str]) -> str:
    """The one line `validate` writes, beside its success, for a source.yaml with ``feed``."""
    state = state_with_feed(tmp_path, feed)
    assert run(["validate", "--state-dir", str(state)]) == 0
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"warning: {state / 'source.yaml'}: the feed reads ")
    return line


def test_validate_warns_in_one_line_about_a_variable_the_workflow_does_not_pass(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = validate_warning(tmp_path, OWN_TOKEN, capsys)
    assert "reads MY_HR_TOKEN (feed.auth.token_env)" in line
    assert f"passes only {', '.join(WORKFLOW_VARIABLES[:-1])} and PERSONIO_CLIENT_SECRET" in line
    assert "rename it" in line and "render.yml's secrets" in line


def test_validate_names_only_the_oauth2_variable_the_workflow_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = validate_warning(tmp_path, OWN_OAUTH, capsys)
    assert "reads MY_HR_SECRET (feed.auth.client_secret_env)" in line
    assert "reads HR_FEED_CLIENT_ID" not in line


@pytest.mark.parametrize(
    "feed",
    [
        "feed:\n  preset: afas\n  url: http://127.0.0.1:9/x\n",
        "feed:\n  preset: personio\n",
        "feed:\n  url: http://127.0.0.1:9/x\n  auth:\n    type: bearer\n",
        "",
    ],
)
def test_validate_is_quiet_when_the_workflow_passes_what_the_feed_reads(
    feed: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = state_with_feed(tmp_path, feed)
    assert run(["validate", "--state-dir", str(state)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_a_feed_without_auth_reads_no_variable() -> None:
    feed = parse_feed({"url": "http://hr.test/people"}, "source.yaml")
    assert feed.auth.variables() == {} and workflow_hints(feed) == []


def test_validate_reports_a_broken_feed_as_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = state_with_feed(tmp_path, "feed:\n  url: http://h/x\n  auth:\n    type: oauth2\n")
    assert run(["validate", "--state-dir", str(state)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "oauth2 needs a `token_url`" in err


def test_fetch_without_a_variable_the_workflow_does_not_pass_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("MY_HR_TOKEN", raising=False)
    state = state_with_feed(tmp_path, OWN_TOKEN)
    assert run(["fetch", "--state-dir", str(state), "--out", str(tmp_path / "x.json")]) == 1
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: the HR feed needs the environment variable MY_HR_TOKEN, ")
    assert f"passes only {', '.join(WORKFLOW_VARIABLES[:-1])} and" in line
