"""One validation of a desired-state folder (``validate_dir``): the render configuration when
there is one, speakap.yaml, the users' shards and their references. An unreadable file ends
it with its one error; the problems of a readable state are listed together; a folder
without render configuration is validated without it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.desired.validation import validate_dir
from reconciler.errors import ConfigError, StateError
from tests.render.conftest import REPO


@pytest.fixture
def full_state(tmp_path: Path) -> Path:
    state = tmp_path / "desired-state"
    shutil.copytree(REPO / "desired-state", state)
    return state


def test_the_shipped_desired_state_is_valid(full_state: Path) -> None:
    result = validate_dir(full_state)
    assert result.ok and result.problems == ()
    assert result.require_state() is result.state


def test_an_unreadable_file_ends_the_validation_with_its_one_error(full_state: Path) -> None:
    speakap = full_state / "speakap.yaml"
    speakap.write_text(speakap.read_text().replace("concurrency: 8", "concurency: 8"))
    with pytest.raises(ConfigError, match=r"unknown key 'concurency' \(did you mean"):
        validate_dir(full_state)


def test_the_problems_of_a_readable_state_are_listed_together(full_state: Path) -> None:
    shards = sorted((full_state / "users").glob("*.yaml"))
    for shard in shards[:2]:
        text = shard.read_text()
        shard.write_text(text.replace('"store-staff"]', '"store-staff", "ghost"]', 1))
    result = validate_dir(full_state)
    texts = [str(p) for p in result.problems]
    assert sum("membership 'ghost' is not a declared org unit" in t for t in texts) == 2
    with pytest.raises(StateError, match=r"problem\(s\) in the desired state: .*ghost"):
        result.require_state()


def test_validate_covers_speakap_yaml(full_state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    speakap = full_state / "speakap.yaml"
    speakap.write_text(speakap.read_text().replace("page_size: 1000", "page_size: lots"))
    assert run(["validate", "--state-dir", str(full_state)]) == 1
    err = capsys.readouterr().err
    assert "speakap.yaml" in err and "page_size" in err


def test_a_state_without_render_configuration_is_validated_without_it(full_state: Path) -> None:
    (full_state / "source.yaml").unlink()
    (full_state / "rules.yaml").unlink()
    assert validate_dir(full_state).ok


def test_half_a_render_configuration_is_an_error(full_state: Path) -> None:
    (full_state / "rules.yaml").unlink()
    with pytest.raises(ConfigError, match="file not found"):
        validate_dir(full_state)


def test_a_problem_of_a_person_points_at_the_line_of_its_field_in_the_shard(
    full_state: Path,
) -> None:
    shard = sorted((full_state / "users").glob("*.yaml"))[0]
    lines = shard.read_text().splitlines(keepends=True)
    at = next(n for n, line in enumerate(lines) if line.startswith("  memberships: ["))
    lines[at] = lines[at].replace("[", '["admins", ', 1)
    record = max(n for n in range(at) if lines[n].startswith("- employee_id: "))
    employee_id = lines[record].split('"')[1]
    lines[record + 1 : record + 1] = ["  # a hand edit\n"]
    shard.write_text("".join(lines))
    problems = [str(p) for p in validate_dir(full_state).problems]
    where = f"{shard}:{at + 2}: "
    assert problems == [
        f"{where}membership 'admins' is not a declared org unit "
        f"(field 'memberships', employee {employee_id})",
    ]


def test_a_problem_without_a_line_of_its_own_points_at_the_persons_record(
    full_state: Path,
) -> None:
    shard = sorted((full_state / "users").glob("*.yaml"))[0]
    lines = shard.read_text().splitlines(keepends=True)
    record = next(n for n, line in enumerate(lines) if line.startswith("- employee_id: "))
    employee_id = lines[record].split('"')[1]
    end = next((n for n in range(record + 1, len(lines)) if lines[n].startswith("- ")), len(lines))
    kept = [line for line in lines[record:end] if not line.startswith("  memberships:")]
    shard.write_text("".join([*lines[:record], *kept, *lines[end:]]))
    problems = validate_dir(full_state).problems
    assert problems and {p.line for p in problems} == {record + 1}
    assert {p.file for p in problems} == {str(shard)}
    assert {p.employee_id for p in problems} == {employee_id}
