"""`revert COMMIT`: a pull-request branch that puts back the people a render changed."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.desired.state import parse_users
from reconciler.model import Person, Policy
from reconciler.reconcile.plan import compute_plan
from tests.gitops.conftest import Checkout, enter_ci, git, make_checkout
from tests.gitops.fake_github import FakeGitHub
from tests.reconcile.conftest import desired, live_as_desired, person

ANN = person("000100", given_name="Ann", family_name="Smit")
BOB = person("000200", given_name="Bob", family_name="Jansen")
CAT = person("000300", given_name="Cat", family_name="Visser")
ANN_LEFT = replace(ANN, status="suspended", suspended_on=date(2026, 3, 2))


def _people_on(checkout: Checkout, ref: str) -> dict[str, Person]:
    listing = checkout.git("ls-tree", "--name-only", f"{ref}:desired-state/users")
    people: dict[str, Person] = {}
    for name in listing.splitlines():
        text = checkout.git("show", f"{ref}:desired-state/users/{name}")
        people.update((p.employee_id, p) for p in parse_users(text + "\n", name))
    return people


@pytest.fixture
def rendered(tmp_path: Path) -> tuple[Checkout, str]:
    """Day 1: Ann and Bob. Day 2's render: Ann leaves, Cat joins, Bob is promoted. Day 3: Bob
    is promoted again. Returns the checkout and day 2's commit."""
    checkout = make_checkout(tmp_path, {"desired-state/policy.yaml": "grace_days: 30\n"})
    checkout.commit_people([ANN, BOB], "render 2026-03-01")
    lead, manager = replace(BOB, job_title="Lead"), replace(BOB, job_title="Manager")
    day2 = checkout.commit_people([ANN_LEFT, lead, CAT], "render 2026-03-02")
    checkout.commit_people([ANN_LEFT, manager, CAT], "render 2026-03-03")
    checkout.git("push", "--quiet", "origin", "main")
    return checkout, day2


def test_the_revert_branch_puts_back_whom_the_render_changed_and_keeps_later_changes(
    rendered: tuple[Checkout, str], capsys: pytest.CaptureFixture[str]
) -> None:
    checkout, day2 = rendered
    head = checkout.head()
    code = run(["revert", day2, "--state-dir", str(checkout.state_dir), "--no-pr"])
    assert code == 0
    out = capsys.readouterr().out
    branch = f"speakap-sync/revert-{day2[:12]}"
    people = _people_on(checkout, branch)
    assert people[ANN.employee_id] == ANN  # active again, as before the render
    assert people[CAT.employee_id].status == "suspended"  # added by the render: a leaver now
    assert people[BOB.employee_id].job_title == "Manager"  # changed again since: kept
    assert "active again (the plan reactivates the same account)" in out
    assert "000200 Bob Jansen: changed again since: kept as it is" in out
    assert checkout.git("rev-parse", f"{branch}^") == head
    # the caller's checkout is as it was
    assert checkout.head() == head and checkout.git("status", "--porcelain") == ""


def test_the_plan_of_the_revert_reactivates_the_leaver_inside_grace(
    rendered: tuple[Checkout, str],
) -> None:
    checkout, day2 = rendered
    assert run(["revert", day2, "--state-dir", str(checkout.state_dir), "--no-pr"]) == 0
    reverted = _people_on(checkout, f"speakap-sync/revert-{day2[:12]}")
    applied = desired(*_people_on(checkout, "main").values(), policy=Policy())
    plan = compute_plan(desired(*reverted.values()), live_as_desired(applied), applied)
    kinds = {(a.kind, a.employee_id) for a in plan.actions}
    assert ("reactivate_user", ANN.employee_id) in kinds
    [back] = [a for a in plan.actions if a.kind == "reactivate_user"]
    # the revert, not the HR export, put Ann back: the reason says only what the plan knows
    assert back.reason == "back in the desired state, suspended when last applied"
    assert not any(kind == "create_user" for kind, _ in kinds)
    assert ("suspend_user", CAT.employee_id) in kinds


def test_revert_pushes_its_branch_and_opens_a_pull_request(
    rendered: tuple[Checkout, str],
    github: FakeGitHub,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    checkout, day2 = rendered
    enter_ci(github, monkeypatch)
    assert run(["revert", day2, "--state-dir", str(checkout.state_dir)]) == 0
    branch = f"speakap-sync/revert-{day2[:12]}"
    assert checkout.remote_sha(f"refs/heads/{branch}") == checkout.git("rev-parse", branch)
    [pull] = github.pulls.values()
    assert (pull["head"]["ref"], pull["base"]["ref"]) == (branch, "main")
    assert "render 2026-03-02" in pull["title"]
    assert "Ann Smit (000100): suspended by that render: active again" in pull["body"]
    assert "created pull request #1" in capsys.readouterr().out


def test_a_commit_that_changed_nobody_is_refused_in_one_line(
    rendered: tuple[Checkout, str], capsys: pytest.CaptureFixture[str]
) -> None:
    checkout, _ = rendered
    (checkout.root / "README.md").write_text("notes\n")
    checkout.git("add", "README.md")
    checkout.git("commit", "--quiet", "-m", "docs")
    assert run(["revert", "HEAD", "--state-dir", str(checkout.state_dir), "--no-pr"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "changed nobody" in err
    assert run(["revert", "no-such-ref", "--state-dir", str(checkout.state_dir)]) == 1
    assert "not a commit" in capsys.readouterr().err
    assert git(checkout.root, "branch", "--list", "speakap-sync/*") == ""
