"""`speakap-sync validate` lists every problem and exits 1: a duplicate employee id is one
problem among the others, not the end of the check."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reconciler.cli import run
from tests.render.conftest import REPO


def _records(text: str) -> list[str]:
    """The user records of a canonical shard, each as its text."""
    body = text.split("users:\n", 1)[1]
    return ["- employee_id:" + r for r in body.split("- employee_id:")[1:]]


def test_validate_lists_every_duplicate_id_and_every_broken_reference(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "desired-state" / "users", state_dir / "users")
    users = state_dir / "users"
    first, second = _records((users / "0.yaml").read_text())[:2]
    ids = [re.search(r'employee_id: "([^"]+)"', r).group(1) for r in (first, second)]  # type: ignore[union-attr]
    # Both people of shard 0 also appear in shard 1 (a bad hand edit or merge) ...
    (users / "1.yaml").write_text((users / "1.yaml").read_text() + first + second)
    # ... and a third shard holds a broken reference.
    two = users / "2.yaml"
    two.write_text(two.read_text().replace('"store-staff"]', '"store-staff", "ghost-unit"]', 1))
    assert run(["validate", "--state-dir", str(state_dir)]) == 1
    err = capsys.readouterr().err
    for employee_id in ids:
        assert re.search(rf"employee id also in .*0\.yaml.*{employee_id}", err), err
    assert "membership 'ghost-unit' is not a declared org unit" in err
    assert err.count("employee id also in") == 2
    # ghost-unit also leaves the memberships unsorted: 2 duplicates + 2 problems of one person
    assert err.strip().splitlines()[-1].endswith("4 problem(s) in the desired state")
