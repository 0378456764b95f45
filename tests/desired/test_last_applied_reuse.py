"""The last-applied state is read like the working copy: what is the same in both is neither
read from git nor parsed again, and the result is what a read from scratch gives."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import git
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.desired.last_applied import blob_id, mark_applied, read_last_applied
from reconciler.desired.state import (
    StateTexts,
    read_state_files,
    read_state_texts,
    render_shards,
    write_state,
)
from reconciler.model import Person
from tests.render.conftest import REPO

ORG_UNITS = (REPO / "desired-state" / "org-units.yaml").read_text()


def staff(n: int) -> list[Person]:
    return [
        Person(
            employee_id=f"E{i:04}",
            given_name=f"Given{i}",
            family_name=f"Family{i}",
            email=f"p{i}@versmarkt.nl",
            business_unit="store-s001",
            memberships=("store-s001",),
        )
        for i in range(n)
    ]


def files_of(people: list[Person], shards: int = 16, org_units: str = ORG_UNITS) -> dict[str, str]:
    return {"org-units.yaml": org_units, **render_shards(people, shards)}


def committed_state(root: Path) -> tuple[git.Repo, Path]:
    repo = git.Repo.init(root / "repo")
    state = root / "repo" / "desired-state"
    state.mkdir()
    (state / "org-units.yaml").write_text(ORG_UNITS)
    return repo, state


def commit(repo: git.Repo, message: str) -> str:
    repo.git.add("-A", ".")
    return str(repo.index.commit(message).hexsha)


def test_right_after_an_apply_the_two_states_are_one_parse(tmp_path: Path) -> None:
    repo, state = committed_state(tmp_path)
    write_state(state, staff(50), 16)
    mark_applied(state, commit(repo, "applied"))
    current = read_state_texts(state)
    assert read_last_applied(state, like=current) is current.state
    assert read_last_applied(state) == current.state


def test_people_whose_lines_did_not_change_are_taken_from_the_working_copy(
    tmp_path: Path,
) -> None:
    repo, state = committed_state(tmp_path)
    people = staff(60)
    write_state(state, people, 16)
    mark_applied(state, commit(repo, "applied"))
    people[3] = replace(people[3], job_title="Chef")
    del people[10]
    people.append(replace(people[0], employee_id="E9999"))
    write_state(state, people, 16)
    commit(repo, "today")
    current = read_state_texts(state)
    last = read_last_applied(state, like=current)
    assert last == read_last_applied(state)  # the same as read from scratch
    assert last is not None
    mine = current.state.people_by_id()
    reused = [p for p in last.people if mine.get(p.employee_id) is p]
    assert len(reused) == 58  # all but the changed one and the leaver: not parsed again
    assert last.people_by_id()["E0003"].job_title is None


def test_a_working_file_with_its_blob_id_is_not_read_from_git(tmp_path: Path) -> None:
    repo, state = committed_state(tmp_path)
    write_state(state, staff(5), 1)
    commit(repo, "one")
    blob = repo.head.commit.tree / "desired-state" / "users" / "all.yaml"
    assert blob_id((state / "users" / "all.yaml").read_text()) == blob.hexsha


people_lists = st.lists(
    st.builds(
        Person,
        employee_id=st.sampled_from([f"E{i}" for i in range(30)]),
        given_name=st.sampled_from(["Anouk", "Jan", 'Zoë "Z"']),
        family_name=st.sampled_from(["Vries", "Berg"]),
        job_title=st.none() | st.sampled_from(["Chef", "Kassa\\1"]),
        memberships=st.sampled_from([(), ("store-s001",), ("dept-sales", "store-s001")]),
    ),
    max_size=25,
    unique_by=lambda p: p.employee_id,
)


@settings(max_examples=60, deadline=None)
@given(
    before=people_lists,
    after=people_lists,
    shards=st.sampled_from([1, 16]),
    same_units=st.booleans(),
)
def test_reading_like_another_state_gives_what_reading_from_scratch_gives(
    before: list[Person], after: list[Person], shards: int, same_units: bool
) -> None:
    mine = files_of(after)
    theirs = files_of(before, shards, ORG_UNITS if same_units else ORG_UNITS + "\n# edited\n")
    like = StateTexts(mine, read_state_files(mine, "working"))
    assert read_state_files(theirs, "tag", like=like) == read_state_files(theirs, "tag")


def test_a_hand_edit_in_the_working_copy_is_not_mistaken_for_the_tag(tmp_path: Path) -> None:
    repo, state = committed_state(tmp_path)
    write_state(state, staff(20), 16)
    mark_applied(state, commit(repo, "applied"))
    shard = sorted((state / "users").glob("*.yaml"))[0]
    shard.write_text(shard.read_text().replace("Given", "Edited"))
    current = read_state_texts(state)
    last = read_last_applied(state, like=current)
    assert last is not None and all("Edited" not in p.given_name for p in last.people)
    assert last == read_last_applied(state)
