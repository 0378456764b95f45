"""A large render is never silent: after the rows are read ("render rows"), the people are
counted as they are rendered ("render people": a known total, so a rate and an ETA), serially
and in worker processes alike, up to the total without going back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.render.core import TICK
from reconciler.render.run import render_to_disk
from tests.render.conftest import DAY1, REPO
from tests.render.make_samples import generate_rows, to_csv

PEOPLE = 2 * TICK + 500


@pytest.mark.parametrize("workers", [1, 3])
def test_render_reports_the_people_it_renders_up_to_their_total(
    tmp_path: Path, workers: int
) -> None:
    state = tmp_path / "desired-state"
    shutil.copytree(REPO / "desired-state", state, ignore=shutil.ignore_patterns("users"))
    export = tmp_path / "export.csv"
    export.write_bytes(to_csv(generate_rows(PEOPLE)))
    seen: list[tuple[str, int, int | None]] = []
    report = render_to_disk(
        export, state, DAY1, workers=workers, progress=lambda *a: seen.append(a)
    )

    rows = [s for s in seen if s[0] == "render rows"]
    people = [(done, total) for task, done, total in seen if task == "render people"]
    assert rows[-1] == ("render rows", PEOPLE, PEOPLE)
    assert seen.index(rows[-1]) < seen.index(("render people", *people[0]))
    assert people[-1] == (PEOPLE, PEOPLE)
    assert all(total == PEOPLE for _, total in people)
    if workers == 1:  # (in workers, the sum is told once every worker said its total)
        assert people[0] == (0, PEOPLE)
        assert len(people) >= 3  # the start, a tick on the way, the end
    assert [done for done, _ in people] == sorted(done for done, _ in people)
    assert len(report.hires) == PEOPLE
