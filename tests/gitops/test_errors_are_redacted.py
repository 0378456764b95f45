"""GitHub's and the HR endpoint's error texts pass the redactor: a server echoing the token,
the Authorization header or the URL's credentials never gets them printed; and the CLI edge
cuts every token of the environment out of any error it reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.errors import SyncError
from reconciler.gitops.github import GitHubClient, GitHubContext, GitHubError
from tests.gitops.fake_github import FakeGitHub, Fault


def test_a_github_answer_echoing_the_token_is_reported_without_it(github: FakeGitHub) -> None:
    token = github.token
    github.faults.append(
        Fault(
            422,
            body={
                "message": f"Validation Failed for Authorization: Bearer {token}",
                "errors": [{"message": f"token {token} is not allowed here"}],
            },
        )
    )
    with (
        GitHubClient(GitHubContext.from_env(github.env()), sleep=lambda _: None) as client,
        pytest.raises(GitHubError) as caught,
    ):
        client.upsert_sticky_comment(7, "plan")
    text = str(caught.value)
    assert "422 Validation Failed" in text
    assert token not in text


def test_fetch_export_names_the_endpoint_without_its_user_and_password(
    github: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("HR_EXPORT_TOKEN", "wrong-token-123")
    url = github.url.replace("http://", "http://hr-sync:pa55w0rd-secret@") + "/hr/export.csv"
    args = ["--source", "url", "--location", url, "--out", str(tmp_path / "export.csv")]
    assert run(["github", "fetch-export", *args]) == 1
    err = capsys.readouterr().err
    assert "answered 403" in err and "/hr/export.csv" in err
    assert "pa55w0rd-secret" not in err and "hr-sync" not in err
    assert "wrong-token-123" not in err


def test_the_cli_edge_cuts_every_token_of_the_environment_out_of_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPEAKAP_TOKEN", "speakap-secret-0001")
    monkeypatch.setenv("GITHUB_TOKEN", "github-secret-0002")

    def leaky(*_: object, **__: object) -> None:
        raise SyncError("server said: speakap-secret-0001 and github-secret-0002 are wrong")

    monkeypatch.setattr("reconciler.reconcile.run.plan", leaky)
    assert run(["plan", "--state-dir", str(tmp_path), "--out", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: server said: *** and *** are wrong")
    assert "secret-000" not in err
