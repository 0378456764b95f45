"""`history`: a person's story told from the desired state's git history."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.cli import run
from reconciler.gitops.history import (
    History,
    HistoryEntry,
    describe,
    person_history,
    render_text,
)
from reconciler.model import Person
from tests.gitops.conftest import Checkout, git, make_checkout
from tests.reconcile.conftest import person

ANN = person("000100", given_name="Ann", family_name="Smit", phone="+31612345678")
BOB = person("000200", given_name="Bob", family_name="Jansen")


@pytest.fixture
def story(tmp_path: Path) -> tuple[Checkout, list[str]]:
    """Ann joins, moves to store-02, is renamed, is suspended, then dropped; Bob stays."""
    checkout = make_checkout(tmp_path, {"desired-state/policy.yaml": "grace_days: 30\n"})
    moved = replace(ANN, business_unit="store-02", memberships=("sales", "store-02"))
    renamed = replace(moved, family_name="de Vries")
    suspended = replace(renamed, status="suspended", suspended_on=date(2026, 3, 5))
    shas = [
        checkout.commit_people([ANN, BOB], "render 2026-03-01"),
        checkout.commit_people([moved, BOB], "render 2026-03-02: transfer"),
        checkout.commit_people([renamed, BOB], "render 2026-03-03"),
        checkout.commit_people([suspended, BOB], "render 2026-03-05"),
        checkout.commit_people([BOB], "render 2026-04-05"),
    ]
    return checkout, shas


def test_the_story_lists_each_change_with_its_commit_subject_oldest_first(
    story: tuple[Checkout, list[str]],
) -> None:
    checkout, shas = story
    history = person_history(checkout.state_dir, ANN.employee_id)
    assert [e.commit for e in history.entries] == shas
    assert [e.subject for e in history.entries][1] == "render 2026-03-02: transfer"
    kinds = [[c.kind for c in e.changes] for e in history.entries]
    assert kinds == [["joined"], ["moved", "changed"], ["changed"], ["suspended"], ["dropped"]]
    moved = history.entries[1].changes
    assert moved[0].text == "memberships +store-02 -store-01"
    assert moved[1].text == "business unit: store-01 -> store-02"
    assert history.entries[2].changes[0].text == "family name: Smit -> de Vries"
    assert history.entries[3].changes[0].text == "suspended on 2026-03-05"
    assert history.name == "Ann de Vries"


def test_a_suspension_for_scope_says_the_skip_rule_and_the_count_reads_in_words() -> None:
    scoped = replace(ANN, status="suspended", suspended_on=date(2026, 3, 4), out_of_scope="interns")
    changes = [c.text for c in describe(ANN, scoped, show_pii=False)]
    assert changes == ["suspended on 2026-03-04: out of scope (rule interns)"]
    entry = HistoryEntry("abc", "2026-03-04", "render", (), applied=False)
    history = History(ANN.employee_id, "Ann Smit", (entry,), last_applied=None)
    assert render_text(history).startswith("000100 Ann Smit: 1 change in the desired state's")


def test_a_commit_that_does_not_change_the_person_is_not_in_the_story(tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path, {"desired-state/policy.yaml": "grace_days: 30\n"})
    checkout.commit_people([ANN], "day 1")
    checkout.commit_people([ANN, BOB], "day 2: Bob joins, same shard count")
    checkout.commit_people([ANN, BOB], "day 3: re-sharded", shards=256)
    history = person_history(checkout.state_dir, ANN.employee_id)
    assert [e.subject for e in history.entries] == ["day 1"]


def test_changes_up_to_the_last_applied_tag_are_marked_applied(
    story: tuple[Checkout, list[str]],
) -> None:
    checkout, shas = story
    git(checkout.root, "tag", "speakap-sync/last-applied", shas[2])
    history = person_history(checkout.state_dir, ANN.employee_id)
    assert [e.applied for e in history.entries] == [True, True, True, False, False]
    assert "[not applied yet]" in render_text(history).splitlines()[-2]


def test_an_open_render_branch_adds_its_changes_as_in_review(tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path, {"desired-state/policy.yaml": "grace_days: 30\n"})
    day1 = checkout.commit_people([ANN, BOB], "render 2026-03-01")
    git(checkout.root, "tag", "speakap-sync/last-applied", day1)
    checkout.git("push", "--quiet", "origin", "main")
    checkout.git("checkout", "--quiet", "-b", "speakap-sync/render")
    moved = replace(ANN, business_unit="store-02", memberships=("sales", "store-02"))
    carl = person("000300", given_name="Carl", family_name="Dijk")
    pending = checkout.commit_people([moved, BOB, carl], "render 2026-03-02")
    checkout.git("push", "--quiet", "origin", "speakap-sync/render")
    checkout.git("checkout", "--quiet", "main")
    checkout.git("branch", "--quiet", "-D", "speakap-sync/render")  # only origin's copy is left

    history = person_history(checkout.state_dir, ANN.employee_id)
    assert [(e.commit, e.branch, e.applied) for e in history.entries] == [
        (day1, None, True),
        (pending, "speakap-sync/render", False),
    ]
    assert [c.kind for c in history.entries[1].changes] == ["moved", "changed"]
    text = render_text(history)
    assert "[in review on speakap-sync/render, not merged]" in text
    assert "memberships +store-02 -store-01" in text
    # someone only the branch knows is named from it, and BOB's story has nothing pending
    newcomer = person_history(checkout.state_dir, carl.employee_id)
    assert newcomer.name == "Carl Dijk"
    assert [e.branch for e in newcomer.entries] == ["speakap-sync/render"]
    assert [e.branch for e in person_history(checkout.state_dir, BOB.employee_id).entries] == [None]

    checkout.git("merge", "--quiet", "--ff-only", "origin/speakap-sync/render")
    merged = person_history(checkout.state_dir, ANN.employee_id)
    assert [(e.branch, e.applied) for e in merged.entries] == [(None, True), (None, False)]


def test_contacts_are_masked_unless_asked(tmp_path: Path) -> None:
    checkout = make_checkout(tmp_path, {"desired-state/policy.yaml": "grace_days: 30\n"})
    checkout.commit_people([ANN], "day 1")
    checkout.commit_people([replace(ANN, phone="+31687654321")], "day 2")
    masked = render_text(person_history(checkout.state_dir, ANN.employee_id))
    shown = render_text(person_history(checkout.state_dir, ANN.employee_id, show_pii=True))
    assert "+31687654321" not in masked and "phone: +31" in masked
    assert "phone: +31612345678 -> +31687654321" in shown


def test_the_cli_prints_json_and_refuses_a_folder_outside_git(
    story: tuple[Checkout, list[str]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkout, shas = story
    code = run(
        ["history", ANN.employee_id, "--state-dir", str(checkout.state_dir), "--output", "json"]
    )
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["employee_id"] == ANN.employee_id
    assert [e["commit"] for e in data["entries"]] == shas
    outside = tmp_path / "not-git"
    outside.mkdir()
    assert run(["history", "1", "--state-dir", str(outside)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "not in a git repository" in err
    assert len(err.strip().splitlines()) == 1


def test_someone_who_never_was_in_the_state_has_an_empty_story(
    story: tuple[Checkout, list[str]],
) -> None:
    checkout, _ = story
    history = person_history(checkout.state_dir, "999999")
    assert history.entries == () and "no change" in render_text(history)


_names = st.text(alphabet="abcdeé -", min_size=1, max_size=8)
_people = st.builds(
    lambda given, family, unit, status, title: person(
        "000100",
        unit=unit,
        given_name=given,
        family_name=family,
        status=status,
        job_title=title,
    ),
    _names,
    _names,
    st.sampled_from(["store-01", "store-02"]),
    st.sampled_from(["active", "suspended"]),
    st.none() | _names,
)


@settings(max_examples=80, deadline=None)
@given(_people, _people)
def test_describe_is_silent_exactly_when_nothing_a_reviewer_sees_changed(
    before: Person, after: Person
) -> None:
    changes = list(describe(before, after, show_pii=True))
    seen = ("status", "memberships", "given_name", "family_name", "job_title", "business_unit")
    same = all(getattr(before, f) == getattr(after, f) for f in seen)
    assert (changes == []) == same
