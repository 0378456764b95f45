"""The whole GitOps loop, as the three workflows run it, on real git and the Speakap simulator.

Each workflow job is played by the command lines its YAML runs, in a fresh clone of the bare
origin (as actions/checkout makes one); GitHub's side (pull requests, comments, artifacts) is
the local fake API. Only the scheduling and the artifact upload are done by the test.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from reconciler.cli import run
from reconciler.data import sample_path
from reconciler.demo import CONFIG_FILES, config_source
from reconciler.desired.last_applied import LAST_APPLIED_REF
from reconciler.gitops.github import MARKER, PLAN_ARTIFACT, PLAN_WORKFLOW
from reconciler.speakap.simulator import SimulatorHandle, run_simulator
from tests.gitops.conftest import Checkout, git, make_checkout
from tests.gitops.fake_github import FakeGitHub, run_fake_github

BRANCH = "speakap-sync/render"
TOKEN = "speakap-e2e-token"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass
class Loop:
    tmp: Path
    checkout: Checkout  # where the render workflow runs
    github: FakeGitHub
    sim: SimulatorHandle
    jobs: int = 0

    def ci_clone(self, ref: str) -> Path:
        """A fresh checkout of ``ref`` with tags, like actions/checkout with fetch-depth 0."""
        self.jobs += 1
        path = self.tmp / f"job{self.jobs}"
        git(self.tmp, "clone", "--quiet", str(self.checkout.origin), str(path))
        git(path, "checkout", "--quiet", ref)
        git(path, "config", "user.name", "ci")
        git(path, "config", "user.email", "ci@example.test")
        return path

    def render_job(self, export: Path, today: str) -> None:
        report = self.tmp / f"report-{today}"
        state = str(self.checkout.state_dir)
        args = ["render", str(export), "--state-dir", state, "--today", today, "--report"]
        assert run([*args, str(report)]) == 0
        assert run(["github", "open-pr", "--state-dir", state, "--report", str(report)]) == 0
        self.checkout.git("checkout", "--quiet", "--", "desired-state")  # next render from main
        self.checkout.git("clean", "--quiet", "-fd", "--", "desired-state")

    def plan_job(self, pr: int) -> tuple[int, Path]:
        head = self.github.pulls[pr]["head"]["sha"]
        clone = self.ci_clone(head)
        out = clone.parent / f"plan-{clone.name}"
        state = str(clone / "desired-state")
        assert run(["validate", "--state-dir", state]) == 0
        code = run(["plan", "--state-dir", state, "--out", str(out)])
        args = ["github", "comment", "--body-file", str(out / "plan.md"), "--pr", str(pr)]
        assert run([*args, "--if-missing", "plan failed"]) == 0
        files = {n: (out / n).read_bytes() for n in ("plan.json", "plan.md") if (out / n).exists()}
        self.github.add_run(head, files, path=PLAN_WORKFLOW, name=PLAN_ARTIFACT)
        return code, out

    def merge(self, pr: int) -> str:
        head = str(self.github.pulls[pr]["head"]["sha"])
        git(self.checkout.origin, "update-ref", "refs/heads/main", head)  # a fast-forward merge
        self.github.merge(pr, head)
        self.checkout.git("pull", "--quiet", "--ff-only", "origin", "main")
        return head

    def apply_job(self, merge_sha: str) -> tuple[int, Path]:
        clone = self.ci_clone("main")
        reviewed, out = clone.parent / f"reviewed-{clone.name}", clone.parent / f"out-{clone.name}"
        assert run(["github", "fetch-plan", "--out", str(reviewed), "--sha", merge_sha]) == 0
        state = str(clone / "desired-state")
        args = [
            "apply",
            "--plan",
            str(reviewed / "plan.json"),
            "--auto-approve",
            "--output",
            "json",
        ]
        return run([*args, "--state-dir", state, "--out", str(out)]), out

    def last_applied(self) -> str | None:
        return self.checkout.remote_sha(f"refs/tags/{LAST_APPLIED_REF}")

    def managed_ids(self) -> set[str]:
        with self.sim.network.lock:
            return {u["externalId"] for u in self.sim.network.users.values() if "externalId" in u}


def small_export(tmp: Path, rows: int, edit: tuple[str, str, str] | None = None) -> Path:
    """The first ``rows`` people of the shipped day-1 export (its cp1252 bytes kept)."""
    lines = sample_path("hr-export-day1.csv").read_bytes().splitlines(keepends=True)
    chosen = lines[: rows + 1]
    if edit is not None:
        employee, old, new = edit
        chosen = [
            line.replace(old.encode("cp1252"), new.encode("cp1252"))
            if line.startswith(employee.encode())
            else line
            for line in chosen
        ]
    path = tmp / f"export-{rows}-{len(list(tmp.glob('export-*')))}.csv"
    path.write_bytes(b"".join(chosen))
    return path


@pytest.fixture
def loop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Loop]:
    source = config_source()
    files = {
        f"desired-state/{name}": (source / name).read_text(encoding="utf-8")
        for name in CONFIG_FILES
    }
    # the simulator is local: no client-side rate limit, so the test stays fast
    files["desired-state/speakap.yaml"] = files["desired-state/speakap.yaml"].replace(
        "rate_limit: 20", "rate_limit: 0"
    )
    checkout = make_checkout(tmp_path, files)
    with run_fake_github() as github, run_simulator(token=TOKEN) as sim:
        github.head_sha_of = lambda branch: git(checkout.origin, "rev-parse", branch)
        for key, value in github.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("SPEAKAP_URL", sim.url)
        monkeypatch.setenv("SPEAKAP_TOKEN", TOKEN)
        yield Loop(tmp=tmp_path, checkout=checkout, github=github, sim=sim)


def remove_by_hand(sim: SimulatorHandle, employee_id: str, org_key: str) -> None:
    """An admin takes a person out of an org unit the sync manages, in Speakap."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=sim.url, headers=headers) as http:
        user = http.get("/Users", params={"filter": f'externalId eq "{employee_id}"'}).json()
        group = http.get("/Groups", params={"filter": f'externalId eq "{org_key}"'}).json()
        uid, gid = user["Resources"][0]["id"], group["Resources"][0]["id"]
        op = {"op": "remove", "path": f'members[value eq "{uid}"]'}
        response = http.patch(f"/Groups/{gid}", json={"schemas": [PATCH], "Operations": [op]})
        response.raise_for_status()


def test_render_pr_plan_comment_merge_apply_then_nothing_left_to_do(
    loop: Loop, capsys: pytest.CaptureFixture[str]
) -> None:
    # render workflow: a branch and one pull request
    loop.render_job(small_export(loop.tmp, 15), "2026-03-02")
    assert loop.checkout.remote_sha(f"refs/heads/{BRANCH}") is not None
    assert list(loop.github.pulls) == [1]

    # plan workflow on the first push: the sticky comment is created
    code, _ = loop.plan_job(1)
    assert code == 0
    [comment] = loop.github.comments_on(1)
    assert comment["body"].startswith(MARKER) and "speakap-sync plan" in comment["body"]
    first_body = comment["body"]

    # a second push to the same pull request (HR corrected a job title): the comment is edited
    edited = small_export(loop.tmp, 15, ("001002", "Verkoopmedewerker", "Teamleider verkoop"))
    loop.render_job(edited, "2026-03-02")
    assert list(loop.github.pulls) == [1]
    code, second = loop.plan_job(1)
    assert code == 0
    [comment] = loop.github.comments_on(1)
    assert comment["body"] != first_body and "Teamleider verkoop" in comment["body"]
    assert json.loads((second / "plan.json").read_text())["actions"]

    # merge, then the apply workflow applies the plan reviewed on the last push
    assert loop.last_applied() is None
    merge_sha = loop.merge(1)
    capsys.readouterr()
    code, out = loop.apply_job(merge_sha)
    assert code == 0
    printed = capsys.readouterr().out  # fetch-plan's line, then the summary kept as an artifact
    summary = json.loads(printed[printed.index("\n{") :])
    assert summary["failed"] == 0 and summary["last_applied_moved"] is True
    assert loop.last_applied() == merge_sha
    planned = json.loads((second / "plan.json").read_text())
    created = {a["employee_id"] for a in planned["actions"] if a["kind"] == "create_user"}
    assert created and created <= loop.managed_ids()
    assert list((out / "journal").glob("*.jsonl"))

    # the next plan, on main, has nothing to do
    clone = loop.ci_clone("main")
    plan_out = loop.tmp / "after"
    args = ["plan", "--state-dir", str(clone / "desired-state"), "--out", str(plan_out)]
    assert run([*args, "--detailed-exitcode"]) == 0
    assert json.loads((plan_out / "plan.json").read_text())["actions"] == []


def test_apply_refuses_a_reviewed_plan_when_live_changed_before_the_merge(
    loop: Loop, capsys: pytest.CaptureFixture[str]
) -> None:
    loop.render_job(small_export(loop.tmp, 15), "2026-03-02")
    loop.plan_job(1)
    first_merge = loop.merge(1)
    assert loop.apply_job(first_merge)[0] == 0

    # a hire is proposed and reviewed ...
    loop.render_job(small_export(loop.tmp, 17), "2026-03-02")
    code, reviewed = loop.plan_job(2)
    assert code == 0
    hires = [
        a["employee_id"]
        for a in json.loads((reviewed / "plan.json").read_text())["actions"]
        if a["kind"] == "create_user"
    ]
    assert hires
    # ... then, before the merge, an admin takes someone out of their store by hand
    remove_by_hand(loop.sim, "001002", "store-s002")
    merge_sha = loop.merge(2)
    capsys.readouterr()

    code, _ = loop.apply_job(merge_sha)

    assert code == 3
    err = capsys.readouterr().err
    assert "stale plan" in err and "add_membership:001002:store-s002" in err
    assert "Run plan again" in err
    assert loop.last_applied() == first_merge  # not moved
    assert not set(hires) & loop.managed_ids()  # nothing of the stale plan was applied
