"""`github open-pr`, `fetch-plan` and `fetch-export` on real git, a bare origin, the fake API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.gitops import branch as gitops
from reconciler.gitops.github import PLAN_ARTIFACT, PLAN_WORKFLOW
from tests.gitops.conftest import Checkout
from tests.gitops.fake_github import FakeGitHub

BRANCH = "refs/heads/speakap-sync/render"


def render_a_hire(checkout: Checkout, report: Path) -> None:
    people = checkout.state_dir / "people.yaml"
    people.write_text(people.read_text() + "- employee_id: '2'\n  given_name: Bo\n")
    (checkout.state_dir / "org-units.yaml").write_text("org_units: []\n")
    report.mkdir(exist_ok=True)
    (report / "summary.md").write_text("**1 hire**, 0 leavers, 0 rejected rows\n")


def open_pr(checkout: Checkout, report: Path) -> int:
    return run(
        ["github", "open-pr", "--state-dir", str(checkout.state_dir), "--report", str(report)]
    )


def test_a_render_with_changes_is_pushed_to_the_render_branch_and_opens_one_pr(
    checkout: Checkout, ci_env: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report"
    main_before = checkout.head()
    render_a_hire(checkout, report)

    assert open_pr(checkout, report) == 0

    pushed = checkout.remote_sha(BRANCH)
    assert pushed is not None
    assert checkout.git("show", f"{pushed}:desired-state/people.yaml").endswith("given_name: Bo")
    assert checkout.git("rev-parse", f"{pushed}^") == main_before
    assert checkout.git("diff", "--name-only", main_before, pushed).splitlines() == [
        "desired-state/org-units.yaml",
        "desired-state/people.yaml",
    ]
    # the user's checkout is as it was: same branch, same HEAD, changes still unstaged
    assert checkout.git("branch", "--show-current") == "main" and checkout.head() == main_before
    assert checkout.git("diff", "--cached", "--name-only") == ""
    [pull] = ci_env.pulls.values()
    assert (pull["head"]["ref"], pull["base"]["ref"]) == ("speakap-sync/render", "main")
    assert "**1 hire**" in pull["body"] and "desired-state/people.yaml" in pull["body"]
    assert "created pull request #1" in capsys.readouterr().out


def test_a_second_render_updates_the_same_pr_and_an_identical_one_pushes_nothing(
    checkout: Checkout, ci_env: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report"
    render_a_hire(checkout, report)
    assert open_pr(checkout, report) == 0
    first = checkout.remote_sha(BRANCH)

    assert open_pr(checkout, report) == 0  # the same render again (a re-run of the job)
    assert checkout.remote_sha(BRANCH) == first
    assert "already on the remote" in capsys.readouterr().out

    (report / "summary.md").write_text("**2 hires**\n")
    (checkout.state_dir / "people.yaml").write_text("people: []\n")
    assert open_pr(checkout, report) == 0
    assert checkout.remote_sha(BRANCH) != first
    assert len(ci_env.pulls) == 1 and "**2 hires**" in ci_env.pulls[1]["body"]
    assert [m for m, p in ci_env.requests if p.endswith("/pulls")].count("POST") == 1


def test_an_unchanged_desired_state_commits_and_pushes_nothing(
    checkout: Checkout, ci_env: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert open_pr(checkout, tmp_path) == 0
    assert checkout.remote_sha(BRANCH) is None
    assert {method for method, _ in ci_env.requests} == {"GET"}
    assert ci_env.pulls == {}
    assert "unchanged: nothing committed, nothing pushed" in capsys.readouterr().out


def test_a_render_pr_whose_change_left_the_hr_export_is_closed(
    checkout: Checkout, ci_env: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    render_a_hire(checkout, tmp_path / "report")
    assert open_pr(checkout, tmp_path / "report") == 0
    checkout.git("checkout", "--", "desired-state")  # the next day HR withdrew the hire
    checkout.git("clean", "-fdq", "--", "desired-state")

    assert open_pr(checkout, tmp_path / "report") == 0

    assert ci_env.pulls[1]["state"] == "closed"
    [note] = ci_env.comments_on(1)
    assert "matches `main`" in note["body"]
    assert "closed pull request #1" in capsys.readouterr().out


def test_a_deleted_state_file_is_part_of_the_render_commit(checkout: Checkout) -> None:
    (checkout.state_dir / "people.yaml").unlink()
    commit = gitops.commit_render(checkout.root, checkout.state_dir, "leavers", push=False)
    assert commit is not None and commit.changed == ("desired-state/people.yaml",)
    assert "people.yaml" not in checkout.git("ls-tree", "--name-only", commit.sha, "desired-state/")


def test_a_push_that_git_refuses_is_reported_without_credentials(
    checkout: Checkout, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout.git("remote", "set-url", "origin", "https://x-access-token:s3cret@127.0.0.1:9/r.git")
    render_a_hire(checkout, tmp_path / "report")
    assert open_pr(checkout, tmp_path / "report") == 1
    err = capsys.readouterr().err
    assert err.startswith("error: git ls-remote failed") and "s3cret" not in err


def merged_pr_with_plan(github: FakeGitHub, *, plan_on: str, head: str) -> None:
    number = github.open_pull("speakap-sync/render", "main", head_sha="aaa111")
    plan = json.dumps({"format_version": 1, "actions": []}).encode()
    github.add_run(
        plan_on, {"plan.json": plan, "plan.md": b"# plan"}, path=PLAN_WORKFLOW, name=PLAN_ARTIFACT
    )
    github.push_head(number, head)
    github.merge(number, "mergesha999")


def test_fetch_plan_downloads_the_plan_reviewed_on_the_merged_pr(
    ci_env: FakeGitHub, tmp_path: Path
) -> None:
    merged_pr_with_plan(ci_env, plan_on="bbb222", head="bbb222")
    out = tmp_path / "reviewed"
    assert run(["github", "fetch-plan", "--out", str(out), "--sha", "mergesha999"]) == 0
    assert json.loads((out / "plan.json").read_text())["format_version"] == 1
    assert (out / "plan.md").read_text() == "# plan"


def test_fetch_plan_with_state_dir_finds_the_merge_that_last_changed_the_state(
    checkout: Checkout, ci_env: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout.git("checkout", "--quiet", "-b", "speakap-sync/render")
    render_a_hire(checkout, tmp_path / "report")
    checkout.git("commit", "--quiet", "-am", "render: 1 hire")
    checkout.git("checkout", "--quiet", "main")
    checkout.git("merge", "--quiet", "--no-ff", "-m", "Merge the render", "speakap-sync/render")
    merge = checkout.head()
    (checkout.root / "README.md").write_text("our network, documented\n")
    checkout.git("commit", "--quiet", "-am", "docs")  # main moves on: HEAD is no merge
    monkeypatch.setenv("GITHUB_SHA", checkout.head())
    number = ci_env.open_pull("speakap-sync/render", "main", head_sha="bbb222")
    plan = json.dumps({"format_version": 1, "actions": []}).encode()
    ci_env.add_run("bbb222", {"plan.json": plan}, path=PLAN_WORKFLOW, name=PLAN_ARTIFACT)
    ci_env.merge(number, merge)
    out = tmp_path / "reviewed"
    state = str(checkout.state_dir)
    assert run(["github", "fetch-plan", "--out", str(out), "--state-dir", state]) == 0
    assert json.loads((out / "plan.json").read_text())["format_version"] == 1


def test_fetch_plan_refuses_when_the_last_push_was_never_planned(
    ci_env: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    merged_pr_with_plan(ci_env, plan_on="bbb222", head="ccc333")  # pushed after the plan ran
    out = tmp_path / "reviewed"
    assert run(["github", "fetch-plan", "--out", str(out), "--sha", "mergesha999"]) == 3
    assert "no successful plan for the last commit (ccc333)" in capsys.readouterr().err
    assert not (out / "plan.json").exists()


def test_fetch_plan_refuses_a_push_to_main_that_no_pr_reviewed(
    ci_env: FakeGitHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["github", "fetch-plan", "--out", str(tmp_path), "--sha", "direct0push"]) == 3
    assert "not the merge of a reviewed pull request" in capsys.readouterr().err


def test_fetch_export_from_a_path_an_endpoint_and_an_artifact(
    ci_env: FakeGitHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "hr.csv"
    source.write_text("employee_id\n7\n")
    out = tmp_path / "in" / "export.csv"
    assert run(["github", "fetch-export", "--location", str(source), "--out", str(out)]) == 0
    assert out.read_text() == "employee_id\n7\n"

    monkeypatch.setenv("HR_EXPORT_TOKEN", ci_env.hr_token)
    url = f"{ci_env.url}/hr/export.csv"
    assert (
        run(["github", "fetch-export", "--source", "url", "--location", url, "--out", str(out)])
        == 0
    )
    assert out.read_bytes() == ci_env.hr_export

    ci_env.add_run("x", {"export.csv": b"from-artifact\n"}, path="hr.yml", name="hr-export")
    args = ["--source", "artifact", "--location", "hr-export", "--out", str(out)]
    assert run(["github", "fetch-export", *args]) == 0
    assert out.read_text() == "from-artifact\n"


def test_a_refused_endpoint_leaves_the_previous_export_in_place(
    ci_env: FakeGitHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "export.csv"
    out.write_text("yesterday\n")
    monkeypatch.setenv("HR_EXPORT_TOKEN", "wrong-token")
    url = f"{ci_env.url}/hr/export.csv?key=abc"
    args = ["--source", "url", "--location", url, "--out", str(out)]
    assert run(["github", "fetch-export", *args]) == 1
    err = capsys.readouterr().err
    assert "answered 403" in err and "wrong-token" not in err and "key=abc" not in err
    assert out.read_text() == "yesterday\n"
    assert [p.name for p in tmp_path.iterdir()] == ["export.csv"]
