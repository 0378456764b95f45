"""Workers that read a CSV export themselves: each builds only its own rows, every record
that may hide rows reaches every worker, the rows read are counted once, and the shards they
write are swapped in whole or not at all."""

from __future__ import annotations

import shutil
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reconciler.desired.state import shard_key
from reconciler.render.parallel import _owner, _owner_of_id
from reconciler.render.run import render_to_disk
from reconciler.render.sources.csv import read_csv
from tests.render.conftest import DAY1, REPO
from tests.render.make_samples import generate_rows, to_csv


@given(
    text=st.one_of(st.none(), st.text(max_size=20)),
    shards=st.sampled_from([16, 256, 4096]),
    workers=st.integers(1, 4),
)
def test_the_owner_of_an_id_is_the_owner_of_its_shard(
    text: str | None, shards: int, workers: int
) -> None:
    employee_id = " ".join(text.split()) if text else ""
    try:
        employee_id.encode("utf-8")
    except UnicodeEncodeError:
        return  # a lone surrogate: no id of a CSV export
    expected = _owner(shard_key(employee_id, shards), workers) if employee_id else 0
    assert _owner_of_id(shards, workers)(text) == expected


def test_a_filtered_csv_builds_the_wanted_rows_and_every_row_that_may_hide_rows(
    tmp_path: Path,
) -> None:
    export = tmp_path / "hr.csv"
    export.write_text('id;name\n1;Ann\n2;Bob\n\n3;"Cy\nstill Cy"\n4;"Di;\n5;Ed\n', encoding="utf-8")
    asked: list[str | None] = []

    def wanted(value: str | None) -> bool:
        asked.append(value)
        return value in ("2", "3")

    rows = list(read_csv(export, ("id", wanted)).rows)
    whole = list(read_csv(export).rows)
    assert [r.values["id"] for r in rows] == ["2", "3", "4"]
    assert [r.hides_rows for r in rows] == [False, False, True]
    assert rows == [r for r in whole if r.values["id"] in ("2", "3") or r.hides_rows]
    assert asked == ["1", "2", "3"]  # once per row that does not hide rows; blank lines none


def _state(tmp_path: Path, name: str) -> Path:
    state = tmp_path / name
    shutil.copytree(REPO / "desired-state", state, ignore=shutil.ignore_patterns("users"))
    return state


def test_the_rows_read_by_worker_processes_are_counted_once(tmp_path: Path) -> None:
    export = tmp_path / "hr.csv"
    export.write_bytes(to_csv(generate_rows(2500)))
    seen: list[tuple[str, int, int | None]] = []
    state = _state(tmp_path, "desired-state")

    def progress(task: str, done: int, total: int | None) -> None:
        if task == "render rows":  # the people rendered come after, as "render people"
            seen.append((task, done, total))

    report = render_to_disk(export, state, DAY1, workers=3, progress=progress)
    assert report.rows == 2500
    assert seen[0] == ("render rows", 0, None)
    assert seen[-1] == ("render rows", 2500, 2500)
    assert [d for _, d, _ in seen] == sorted(d for _, d, _ in seen)


def test_shards_written_by_workers_replace_users_whole_and_leave_no_staging(
    tmp_path: Path,
) -> None:
    export = tmp_path / "hr.csv"
    export.write_bytes(to_csv(generate_rows(2500)))
    parallel, serial = _state(tmp_path, "parallel"), _state(tmp_path, "serial")
    (parallel / "users").mkdir()
    (parallel / "users" / ".gitkeep").write_text("", encoding="utf-8")
    render_to_disk(export, parallel, DAY1, workers=2)
    render_to_disk(export, serial, DAY1, workers=1)
    names = sorted(p.name for p in (parallel / "users").iterdir())
    assert names == [".gitkeep", *sorted(p.name for p in (serial / "users").iterdir())]
    for shard in (serial / "users").iterdir():
        assert (parallel / "users" / shard.name).read_bytes() == shard.read_bytes()
    assert not list(parallel.glob(".users.new-*"))
    inode = (parallel / "users").stat().st_ino
    render_to_disk(export, parallel, DAY1, workers=2)  # nothing changed: nothing replaced
    assert (parallel / "users").stat().st_ino == inode
    assert not list(parallel.glob(".users.new-*"))
