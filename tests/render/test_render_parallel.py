"""Rendering in processes that own shards gives byte-identical state and the same report."""

from __future__ import annotations

import shutil
from pathlib import Path

from reconciler.data import sample_path
from reconciler.render.run import render_to_disk
from tests.render.conftest import DAY1, REPO
from tests.render.make_samples import day2_rows, to_csv

DAY2 = DAY1.replace(day=3)


def fresh(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(REPO / "desired-state", target, ignore=shutil.ignore_patterns("users"))
    return target


def files(state_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((state_dir / "users").iterdir())}


def test_two_days_in_two_processes_equal_the_serial_render(tmp_path: Path) -> None:
    serial, parallel = fresh(tmp_path, "serial"), fresh(tmp_path, "parallel")
    day1, day2 = sample_path("hr-export-day1.csv"), sample_path("hr-export-day2.csv")
    for export, today in ((day1, DAY1), (day2, DAY2)):
        one = render_to_disk(export, serial, today, workers=1)
        two = render_to_disk(export, parallel, today, workers=2)
        assert two == one
        assert files(parallel) == files(serial)
    assert one.leavers and one.hires and one.issues_of("quarantined")


def test_a_changed_shard_count_falls_back_to_the_serial_render(tmp_path: Path) -> None:
    state = fresh(tmp_path, "state")
    render_to_disk(sample_path("hr-export-day1.csv"), state, DAY1, workers=2)
    assert len(files(state)) == 16
    source = state / "source.yaml"
    source.write_text(source.read_text().replace("user_shards: 16 ", "user_shards: 256"))
    report = render_to_disk(sample_path("hr-export-day1.csv"), state, DAY1, workers=2)
    assert len(files(state)) > 16 and report.hires == () and report.leavers == ()


def test_a_person_moved_to_another_shard_by_hand_is_still_found(tmp_path: Path) -> None:
    state, reference = fresh(tmp_path, "state"), fresh(tmp_path, "reference")
    day1 = sample_path("hr-export-day1.csv")
    render_to_disk(day1, state, DAY1, workers=2)
    render_to_disk(day1, reference, DAY1, workers=1)
    first, second = sorted((state / "users").iterdir())[:2]
    lines = first.read_text().splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("- "))
    end = next(i for i, line in enumerate(lines[start + 1 :], start + 1) if line.startswith("- "))
    first.write_text("".join(lines[:start] + lines[end:]))
    second.write_text(second.read_text() + "".join(lines[start:end]))
    export = tmp_path / "day2.csv"
    export.write_bytes(to_csv(day2_rows()))
    assert render_to_disk(export, state, DAY2, workers=2) == render_to_disk(
        export, reference, DAY2, workers=1
    )
    assert files(state) == files(reference)


def test_out_of_scope_rows_and_their_leavers_are_the_same_in_processes(tmp_path: Path) -> None:
    serial, parallel = fresh(tmp_path, "serial"), fresh(tmp_path, "parallel")
    day1, day2 = sample_path("hr-export-day1.csv"), sample_path("hr-export-day2.csv")
    skip = "  - name: store-s002-out\n    when: {field: business_unit_code, equals: S002}\n"
    for state in (serial, parallel):
        render_to_disk(day1, state, DAY1, workers=1)
        rules = state / "rules.yaml"
        text = rules.read_text(encoding="utf-8")
        rules.write_text(text.replace("rules:\n", f"rules:\n{skip}    skip: true\n", 1))
    one = render_to_disk(day2, serial, DAY2, workers=1)
    two = render_to_disk(day2, parallel, DAY2, workers=2)
    assert two == one
    assert files(parallel) == files(serial)
    assert one.out_of_scope and set(one.leavers) & {s.employee_id for s in one.out_of_scope}
