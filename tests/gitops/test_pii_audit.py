"""pii-audit lists the commits, on any branch or tag, whose desired state holds a person's
record, and says whether it holds their plain contacts or only commitments; no values."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.desired import contacts
from reconciler.desired.state import write_state
from reconciler.gitops.pii_audit import pii_audit
from reconciler.model import Person
from tests.gitops.conftest import git

KEY = b"a-network-secret-of-32-bytes!!!!"


def _person(eid: str, email: str) -> Person:
    return Person(
        employee_id=eid,
        given_name="Ann",
        family_name="Smit",
        email=email,
        phone="+31612345678",
        start_date=date(2020, 1, 1),
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    state = root / "desired-state"
    state.mkdir(parents=True)
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(root))
    git(root, "config", "user.name", "t")
    git(root, "config", "user.email", "t@example.test")

    def commit(people: list[Person], message: str) -> None:
        write_state(state, people, 16)
        git(root, "add", "--all")
        git(root, "commit", "--quiet", "-m", message)

    ann, bob = _person("000100", "ann@versmarkt.nl"), _person("000200", "bob@versmarkt.nl")
    commit([ann, bob], "day 1")
    commit([replace(ann, email="ann.smit@versmarkt.nl"), bob], "ann's email")
    commit([contacts.seal(ann, KEY), bob], "contacts out of git")
    git(root, "checkout", "--quiet", "-b", "speakap-sync/render")
    commit([replace(bob, job_title="Cashier")], "ann left")  # only on the branch
    git(root, "checkout", "--quiet", "main")
    commit([contacts.seal(ann, KEY), replace(bob, job_title="Baker")], "bob's title")
    return state


def test_the_audit_lists_each_commit_holding_the_record_and_what_it_holds(repo: Path) -> None:
    audit = pii_audit(repo, "000100")
    subjects = [e.subject for e in audit.entries]
    assert subjects == ["day 1", "ann's email", "contacts out of git"]
    assert [e.holds for e in audit.entries] == [
        ("name", "email", "phone"),
        ("name", "email", "phone"),
        ("name",),
    ]
    assert audit.entries[2].commitments == ("email_ref", "phone_ref")
    assert audit.with_contacts == 2


def test_a_commit_on_another_branch_is_audited_too(repo: Path) -> None:
    subjects = [e.subject for e in pii_audit(repo, "000200").entries]
    assert subjects == ["day 1", "ann left", "bob's title"]  # the commits writing bob's shard


def test_the_command_prints_no_contact_value(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["pii-audit", "000100", "--state-dir", str(repo)]) == 0
    text = capsys.readouterr().out
    assert "3 commit(s) hold this person's record, 2 of them a plain email or phone" in text
    assert "@" not in text and "+316" not in text and "Smit" not in text
    assert run(["pii-audit", "000100", "--state-dir", str(repo), "--output", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["commits"] == 3 and doc["commits_with_plain_contacts"] == 2


def test_a_person_never_in_the_state_has_no_commit(repo: Path) -> None:
    assert pii_audit(repo, "999999").entries == ()
