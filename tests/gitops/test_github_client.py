"""The GitHub client against a local server that answers like GitHub's REST API."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from reconciler.cli import run
from reconciler.gitops.github import (
    MARKER,
    MAX_BODY,
    GitHubClient,
    GitHubContext,
    GitHubError,
    pr_number_from_env,
    with_marker,
)
from tests.gitops.conftest import enter_ci
from tests.gitops.fake_github import FakeGitHub, Fault


def client_for(
    github: FakeGitHub, sleeps: list[float] | None = None, max_wait: float = 300.0
) -> GitHubClient:
    record = sleeps if sleeps is not None else []
    context = GitHubContext.from_env(github.env())
    return GitHubClient(context, sleep=record.append, max_wait=max_wait)


def test_a_first_plan_creates_the_sticky_comment_and_a_second_push_edits_it(
    github: FakeGitHub,
) -> None:
    for i in range(75):  # a busy pull request: the plan comment lands on the third page
        github.add_comment(7, f"review remark {i}")
    with client_for(github) as client:
        first, created = client.upsert_sticky_comment(7, "## Plan\n3 to create")
        second, updated = client.upsert_sticky_comment(7, "## Plan\n4 to create")
    assert (first, second) == ("created", "updated")
    assert created.id == updated.id
    ours = [c for c in github.comments_on(7) if MARKER in c["body"]]
    assert len(ours) == 1 and ours[0]["body"] == f"{MARKER}\n## Plan\n4 to create"
    assert len(github.comments_on(7)) == 76


def test_a_reviewer_quoting_the_marker_does_not_get_their_comment_overwritten(
    github: FakeGitHub,
) -> None:
    github.add_comment(6, f"why does the plan say this?\n> {MARKER}\n> 3 to create")
    with client_for(github) as client:
        outcome, _ = client.upsert_sticky_comment(6, "4 to create")
    assert outcome == "created"
    assert [c["body"].startswith(MARKER) for c in github.comments_on(6)] == [False, True]


def test_comments_are_listed_across_every_page_of_the_link_header(github: FakeGitHub) -> None:
    for i in range(230):
        github.add_comment(3, f"c{i}")
    with client_for(github) as client:
        bodies = [c.body for c in client.list_issue_comments(3)]
    assert bodies == [f"c{i}" for i in range(230)]
    assert github.requests.count(("GET", f"/repos/{github.repository}/issues/3/comments")) == 3


def test_an_unchanged_plan_does_not_edit_the_comment(github: FakeGitHub) -> None:
    with client_for(github) as client:
        client.upsert_sticky_comment(5, "same plan")
        outcome, _ = client.upsert_sticky_comment(5, "same plan")
    assert outcome == "unchanged"
    assert not [r for r in github.requests if r[0] == "PATCH"]


def test_a_plan_longer_than_githubs_limit_is_cut_before_sending(github: FakeGitHub) -> None:
    with client_for(github) as client:
        outcome, posted = client.upsert_sticky_comment(9, "x" * 200_000)
    assert outcome == "created"
    assert len(posted.body) == MAX_BODY
    assert posted.body.startswith(MARKER) and "truncated" in posted.body[-200:]


@given(st.text(max_size=70_000).filter(lambda s: MARKER not in s))
@example("x" * 70_000)
@example("é" * (MAX_BODY - len(MARKER) - 1))
def test_a_marked_body_always_fits_and_starts_with_the_marker(body: str) -> None:
    text = with_marker(body)
    assert len(text) <= MAX_BODY
    assert text.startswith(MARKER)
    if len(body) + len(MARKER) + 1 <= MAX_BODY:
        assert text == f"{MARKER}\n{body}"


def test_a_422_is_reported_with_githubs_reason(github: FakeGitHub) -> None:
    github.faults.append(
        Fault(
            422,
            body={
                "message": "Validation Failed",
                "errors": [{"message": "Body is too long (maximum is 65536 characters)"}],
            },
        )
    )
    with client_for(github) as client, pytest.raises(GitHubError) as err:
        client.create_issue_comment(1, "plan")
    assert str(err.value) == (
        f"POST /repos/{github.repository}/issues/1/comments: GitHub answered 422 "
        "Validation Failed: Body is too long (maximum is 65536 characters)"
    )


def test_an_over_long_body_refused_by_github_fails_the_command_with_githubs_reason(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    enter_ci(github, monkeypatch, pr=4)
    github.max_body = 1_000  # a server that counts differently from the client
    plan = tmp_path / "plan.md"
    plan.write_text("| person | change |\n" * 200, encoding="utf-8")
    assert run(["github", "comment", "--body-file", str(plan)]) == 1
    err = capsys.readouterr().err
    assert "GitHub answered 422 Validation Failed: Body is too long" in err
    assert github.comments_on(4) == []


def test_server_errors_are_retried_until_github_answers(github: FakeGitHub) -> None:
    github.faults.extend([Fault(502), Fault(503)])
    sleeps: list[float] = []
    with client_for(github, sleeps) as client:
        outcome, _ = client.upsert_sticky_comment(2, "plan")
    assert outcome == "created"
    assert sleeps == [2.0, 4.0]


def test_a_secondary_rate_limit_waits_as_long_as_retry_after_says(github: FakeGitHub) -> None:
    limited = {"message": "You have exceeded a secondary rate limit."}
    github.faults.append(Fault(403, {"Retry-After": "7"}, limited, method="POST"))
    sleeps: list[float] = []
    with client_for(github, sleeps) as client:
        client.create_issue_comment(2, "plan")
    assert sleeps == [7.0]
    assert len(github.comments_on(2)) == 1


def test_an_exhausted_rate_limit_waits_until_the_reset_time(github: FakeGitHub) -> None:
    reset = str(int(time.time()) + 20)
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}
    github.faults.append(Fault(429, headers, {"message": "API rate limit exceeded"}))
    sleeps: list[float] = []
    with client_for(github, sleeps) as client:
        client.list_issue_comments(2)
    assert len(sleeps) == 1 and 15 <= sleeps[0] <= 21


def test_a_wait_longer_than_allowed_fails_at_once_instead_of_hanging(github: FakeGitHub) -> None:
    github.faults.append(Fault(429, {"Retry-After": "3600"}, {"message": "slow down"}))
    sleeps: list[float] = []
    with client_for(github, sleeps, max_wait=60) as client, pytest.raises(GitHubError) as err:
        client.list_issue_comments(2)
    assert sleeps == []
    assert "429" in str(err.value)


def test_a_forbidden_token_is_not_retried_and_says_which_permission(github: FakeGitHub) -> None:
    github.faults.append(Fault(403, body={"message": "Resource not accessible by integration"}))
    sleeps: list[float] = []
    with client_for(github, sleeps) as client, pytest.raises(GitHubError) as err:
        client.create_issue_comment(2, "plan")
    assert sleeps == []
    assert "Resource not accessible by integration" in str(err.value)
    assert "permissions block" in str(err.value)


def test_the_token_never_shows_in_a_repr_or_an_error(github: FakeGitHub) -> None:
    context = GitHubContext.from_env({**github.env(), "GITHUB_TOKEN": "ghs_wrong_but_secret"})
    assert "ghs_wrong_but_secret" not in repr(context)
    with GitHubClient(context) as client, pytest.raises(GitHubError) as err:
        client.list_issue_comments(1)
    assert "401" in str(err.value) and "ghs_wrong_but_secret" not in str(err.value)


def test_the_pull_request_number_comes_from_the_event_payload(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"action": "synchronize", "pull_request": {"number": 42}}))
    assert pr_number_from_env({"GITHUB_EVENT_PATH": str(event)}) == 42
    assert pr_number_from_env({"GITHUB_EVENT_PATH": str(event), "SPEAKAP_SYNC_PR": "8"}) == 8
    assert pr_number_from_env({}) is None


def test_a_missing_token_names_the_variable() -> None:
    with pytest.raises(GitHubError, match="GITHUB_TOKEN"):
        GitHubContext.from_env({"GITHUB_REPOSITORY": "acme/people"})


def test_github_comment_command_posts_then_edits_one_comment(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    enter_ci(github, monkeypatch, pr=12)
    plan = tmp_path / "plan.md"
    plan.write_text("## Plan: 1 to create\n", encoding="utf-8")
    assert run(["github", "comment", "--body-file", str(plan)]) == 0
    plan.write_text("## Plan: 2 to create\n", encoding="utf-8")
    assert run(["github", "comment", "--body-file", str(plan)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("created comment") and out[1].startswith("updated comment")
    assert [c["body"] for c in github.comments_on(12)] == [f"{MARKER}\n## Plan: 2 to create\n"]


def test_github_comment_command_posts_the_fallback_text_when_the_body_file_is_missing(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    enter_ci(github, monkeypatch, pr=12)
    missing = tmp_path / "plan.md"
    assert run(["github", "comment", "--body-file", str(missing)]) == 1
    err = capsys.readouterr().err
    assert "the comment body does not exist" in err and str(missing) in err
    assert github.comments_on(12) == []
    assert run(["github", "comment", "--body-file", str(missing), "--if-missing", "no plan"]) == 0
    assert [c["body"] for c in github.comments_on(12)] == [f"{MARKER}\nno plan"]


def test_github_comment_command_reports_a_rejection_without_a_traceback(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    enter_ci(github, monkeypatch, pr=12)
    github.faults.append(Fault(404, body={"message": "Not Found"}))
    plan = tmp_path / "plan.md"
    plan.write_text("plan", encoding="utf-8")
    assert run(["github", "comment", "--body-file", str(plan)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: GET /repos/acme/people/issues/12/comments: GitHub answered 404")
    assert "Traceback" not in err and github.token not in err


def test_a_retry_prints_a_warning_line_without_the_token(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for key, value in github.env(pr=4).items():
        monkeypatch.setenv(key, value)
    github.faults.append(Fault(502))
    body = tmp_path / "plan.md"
    body.write_text("plan", encoding="utf-8")
    assert run(["github", "comment", "--body-file", str(body)]) == 0
    err = capsys.readouterr().err
    path = f"/repos/{github.repository}/issues/4/comments"
    assert err.splitlines() == [
        f"warning: GET {path}: GitHub answered 502, retrying in 2.0 s (attempt 1 of 5)"
    ]
    assert github.env(pr=4)["GITHUB_TOKEN"] not in err
    assert len(github.comments_on(4)) == 1
