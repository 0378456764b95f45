"""The desired state on disk: canonical shards, the fast reader and its fallback, atomic writes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.desired.state import (
    STATE_FILES_GLOBS,
    check_state,
    is_state_file,
    parse_users,
    read_state,
    read_state_files,
    render_shards,
    shard_name,
    write_state,
)
from reconciler.errors import StateError
from reconciler.model import Person

JAN = Person(
    employee_id="000100",
    given_name="Jan",
    infix="van der",
    family_name="Berg",
    email="jan@versmarkt.nl",
    phone="+31612345678",
    business_unit="store-s001",
    department="dept-sales",
    memberships=("dept-sales", "store-s001"),
    start_date=date(2020, 1, 1),
    rules=("business-unit-by-location",),
)
HUMAN_EDITED = """# edited by hand: plain scalars, block lists, a comment, unquoted date
users:
  - employee_id: '000100'
    given_name: Jan
    infix: van der
    family_name: Berg   # married name pending
    email: jan@versmarkt.nl
    phone: '+31612345678'
    business_unit: store-s001
    department: dept-sales
    memberships:
      - dept-sales
      - store-s001
    invite_channel: email
    status: active
    start_date: 2020-01-01
    rules:
      - business-unit-by-location
"""


def test_a_person_round_trips_through_the_canonical_form() -> None:
    files = render_shards([JAN], 16)
    assert list(files) == [shard_name("000100", 16)]
    text = files[shard_name("000100", 16)]
    assert text.splitlines()[3:] == [
        "users:",
        '- employee_id: "000100"',
        '  given_name: "Jan"',
        '  infix: "van der"',
        '  family_name: "Berg"',
        '  email: "jan@versmarkt.nl"',
        '  phone: "+31612345678"',
        '  business_unit: "store-s001"',
        '  department: "dept-sales"',
        '  memberships: ["dept-sales", "store-s001"]',
        '  invite_channel: "email"',
        '  status: "active"',
        '  start_date: "2020-01-01"',
        '  rules: ["business-unit-by-location"]',
    ]
    assert parse_users(text, "users/x.yaml") == [JAN]


def test_a_hand_edited_shard_in_another_valid_form_reads_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert parse_users(HUMAN_EDITED, "users/0.yaml") == [JAN]


def test_a_duplicate_key_is_not_silently_merged_by_the_fast_path() -> None:
    text = render_shards([JAN], 1)["users/all.yaml"]
    text = text.replace('  family_name: "Berg"\n', '  family_name: "Berg"\n  family_name: "X"\n')
    with pytest.raises(StateError, match=r"duplicate key") as caught:
        parse_users(text, "users/all.yaml")
    assert caught.value.line == 9


def test_an_invalid_hand_edit_names_the_file_line_and_field() -> None:
    text = HUMAN_EDITED.replace("    status: active", "    status: gone")
    with pytest.raises(StateError) as caught:
        parse_users(text, "desired-state/users/0.yaml")
    assert caught.value.file == "desired-state/users/0.yaml"
    assert caught.value.line == 15
    assert caught.value.field == "users.0.status"


names = st.text(
    alphabet=st.characters(exclude_categories=["Cs"], min_codepoint=1), min_size=1, max_size=12
)


@settings(max_examples=60, deadline=None)
@given(given_name=names, family_name=names, job=st.none() | names, groups=st.lists(names))
def test_any_text_survives_write_and_read(
    given_name: str, family_name: str, job: str | None, groups: list[str]
) -> None:
    person = Person(
        employee_id="7",
        given_name=given_name,
        family_name=family_name,
        job_title=job,
        memberships=tuple(sorted(set(groups))),
    )
    (text,) = render_shards([person], 1).values()
    assert parse_users(text, "users/all.yaml") == [person]
    # and a full YAML parser agrees with the fast path
    from ruamel.yaml import YAML

    doc = YAML(typ="safe", pure=True).load(text)
    assert doc["users"][0]["given_name"] == given_name
    assert doc["users"][0]["family_name"] == family_name


@pytest.mark.parametrize(
    "title", ["Note: ", "Team: [north]", 'say: "hi"', 'a": "b', "[x]: y", '": [', '\\: "']
)
def test_values_that_look_like_keys_survive(title: str) -> None:
    person = Person(employee_id="7", given_name="A", family_name="B", job_title=title)
    (text,) = render_shards([person], 1).values()
    assert parse_users(text, "users/all.yaml") == [person]


def test_shards_are_stable_and_sorted(tmp_path: Path) -> None:
    assert shard_name("000100", 256) == shard_name("000100", 256)
    assert shard_name("000100", 16) == f"users/{shard_name('000100', 256)[6]}.yaml"
    people = [Person(employee_id=f"{n:06d}", given_name="A", family_name="B") for n in range(300)]
    files = render_shards(reversed(people), 16)
    assert len(files) == 16
    for text in files.values():
        ids = [line.split('"')[1] for line in text.splitlines() if line.startswith("- ")]
        assert ids == sorted(ids)


def test_write_state_replaces_users_and_keeps_config_untouched(state_dir: Path) -> None:
    policy = (state_dir / "policy.yaml").read_bytes()
    write_state(state_dir, [JAN], 16)
    write_state(state_dir, [], 16)
    assert list((state_dir / "users").iterdir()) == []
    assert (state_dir / "policy.yaml").read_bytes() == policy
    assert [p.name for p in state_dir.iterdir() if p.name.startswith(".")] == []


def test_a_failed_write_leaves_the_previous_state_untouched(
    state_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_state(state_dir, [JAN], 16)
    before = {p.name: p.read_bytes() for p in (state_dir / "users").iterdir()}
    calls = 0

    def failing_fsync(fd: int) -> None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise OSError("disk full")

    monkeypatch.setattr("reconciler.desired.state.os.fsync", failing_fsync)
    people = [Person(employee_id=f"{n:06d}", given_name="A", family_name="B") for n in range(50)]
    with pytest.raises(OSError, match="disk full"):
        write_state(state_dir, people, 16)
    after = {p.name: p.read_bytes() for p in (state_dir / "users").iterdir()}
    assert after == before
    assert [p.name for p in state_dir.iterdir() if p.name.startswith(".")] == []


def test_read_state_files_reads_a_tree_and_prefixes_errors_with_the_origin(
    state_dir: Path,
) -> None:
    files = {
        "policy.yaml": (state_dir / "policy.yaml").read_text(),
        "org-units.yaml": (state_dir / "org-units.yaml").read_text(),
        "rules.yaml": "not: state",
        **render_shards([JAN], 16),
    }
    state = read_state_files(files, "last-applied@abc123")
    assert state.people == (JAN,)
    assert state.policy.grace_days == 30
    assert "store-s001" in state.org_units_by_key()

    files["policy.yaml"] = files["policy.yaml"].replace("grace_days: 30", "grace_days: -1")
    with pytest.raises(Exception) as caught:
        read_state_files(files, "last-applied@abc123")
    assert str(caught.value).startswith("last-applied@abc123:policy.yaml:")


def test_the_same_person_in_two_shards_is_a_state_error() -> None:
    (text,) = render_shards([JAN], 1).values()
    with pytest.raises(StateError, match="also in") as caught:
        read_state_files({"users/0.yaml": text, "users/1.yaml": text}, "git")
    assert caught.value.employee_id == "000100"


def test_which_files_belong_to_the_state() -> None:
    assert STATE_FILES_GLOBS == ("policy.yaml", "org-units.yaml", "users/*.yaml")
    assert is_state_file("users/0a.yaml") and is_state_file("policy.yaml")
    assert not is_state_file("rules.yaml") and not is_state_file("users/x/y.txt")


def test_check_state_finds_broken_references_and_statuses(state_dir: Path) -> None:
    write_state(state_dir, [JAN], 16)
    assert check_state(read_state(state_dir)) == []
    broken = Person(
        employee_id="000101",
        given_name="A",
        family_name="B",
        business_unit="store-s999",
        memberships=("store-s999",),
        status="suspended",
        invite_channel="sms",
        email="Not.Lower@versmarkt.nl",
    )
    write_state(state_dir, [JAN, broken], 16)
    problems = [str(p) for p in check_state(read_state(state_dir))]
    assert any("membership 'store-s999' is not a declared org unit" in p for p in problems)
    assert any("does not agree with suspended_on" in p for p in problems)
    assert any("invite channel 'sms' has no address" in p for p in problems)
    assert any("email is not a lower-case address" in p for p in problems)
    assert all("employee 000101" in p for p in problems)
