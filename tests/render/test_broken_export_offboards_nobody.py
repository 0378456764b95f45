"""A broken row never offboards: while a CSV quote that is not closed where it should be may
hide rows, nobody absent from the export is suspended or dropped, and the report names the
line. The shipped sample with a stray quote five rows from the end plans no suspension."""

from __future__ import annotations

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.desired.config import load_config
from reconciler.desired.state import read_state
from reconciler.model import DesiredState
from reconciler.reconcile.plan import compute_plan
from reconciler.render.core import render
from reconciler.render.report import Report, report_markdown
from reconciler.render.run import render_to_disk
from reconciler.render.sources import open_export
from tests.reconcile.conftest import live_as_desired
from tests.render.conftest import DAY1, REPO, Sync, employee

DATA = REPO / "reconciler" / "data"
DAY2 = DAY1 + timedelta(days=1)
CONFIG = load_config(REPO / "desired-state")
SAMPLE_DAY2 = (DATA / "hr-export-day2.csv").read_bytes().split(b"\r\n")[:-1]  # CRLF, cp1252


def with_quote(lines: list[bytes], row: int, field: int) -> bytes:
    """The export with a `"` opening field ``field`` of line ``row`` (0 is the header)."""
    cells = lines[row].split(b";")
    cells[field] = b'"' + cells[field]
    return b"\r\n".join([*lines[:row], b";".join(cells), *lines[row + 1 :]]) + b"\r\n"


def test_a_stray_quote_five_rows_from_the_end_of_the_sample_offboards_nobody(
    state_dir: Path, tmp_path: Path
) -> None:
    render_to_disk(DATA / "hr-export-day1.csv", state_dir, DAY1, workers=1)
    day1 = read_state(state_dir)
    broken = tmp_path / "day2.csv"
    row = len(SAMPLE_DAY2) - 5
    broken.write_bytes(with_quote(SAMPLE_DAY2, row, 1))
    report = render_to_disk(broken, state_dir, DAY2, workers=1)
    day2 = read_state(state_dir)

    assert report.leavers == () and report.suspended == () and report.dropped == ()
    assert len(report.held) >= 4  # the people in the swallowed rows, and today's true leavers
    for employee_id in report.held:
        assert day2.people_by_id()[employee_id] == day1.people_by_id()[employee_id]
    line = row + 1
    assert any(f"broken at line {line}" in n for n in report.notices)
    assert f"| {line} |" in report_markdown(report)
    plan = compute_plan(day2, live_as_desired(day1), day1)
    assert not [a for a in plan.actions if a.kind in ("suspend_user", "delete_user")]


def test_a_clean_export_after_a_broken_one_offboards_the_leavers(sync: Sync) -> None:
    staff = [employee(f"000{n}") for n in range(100, 110)]
    sync.render(staff)
    broken = sync.export(staff[:3])
    broken.write_bytes(broken.read_bytes().replace(b"000101;", b'000101;"', 1))
    held = render_to_disk(broken, sync.state_dir, DAY2, workers=1)
    assert held.leavers == () and set(held.held) == {f"000{n}" for n in range(102, 110)}
    assert [(i.kind, i.line) for i in held.issues] == [("quarantined", 3)]
    clean = sync.render(staff[:3], DAY2 + timedelta(days=1))
    assert clean.held == () and len(clean.leavers) == 7


@pytest.fixture(scope="module")
def day1_state(tmp_path_factory: pytest.TempPathFactory) -> tuple[DesiredState, Report]:
    """The sample's day 1 rendered, and the report of its clean day 2."""
    state = tmp_path_factory.mktemp("sample") / "desired-state"
    shutil.copytree(REPO / "desired-state", state, ignore=shutil.ignore_patterns("users"))
    render_to_disk(DATA / "hr-export-day1.csv", state, DAY1, workers=1)
    day1 = read_state(state)
    return day1, render_file(DATA / "hr-export-day2.csv", day1)


def render_file(path: Path, previous: DesiredState) -> Report:
    export = open_export(path, CONFIG.source)
    try:
        return render(export.rows, CONFIG, previous, DAY2)[1]
    finally:
        export.close()


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(row=st.integers(1, len(SAMPLE_DAY2) - 1), field=st.integers(0, 12), inside=st.booleans())
def test_one_quote_anywhere_in_the_export_adds_no_leaver(
    day1_state: tuple[DesiredState, Report], tmp_path: Path, row: int, field: int, inside: bool
) -> None:
    day1, clean = day1_state
    lines = list(SAMPLE_DAY2)
    if inside and field > 0:  # a quote inside a field is a character (in an id: another id)
        cells = lines[row].split(b";")
        cells[field] = cells[field][:1] + b'"' + cells[field][1:]
        export = b"\r\n".join([*lines[:row], b";".join(cells), *lines[row + 1 :]]) + b"\r\n"
    else:
        export = with_quote(lines, row, field)
    path = tmp_path / "day2.csv"
    path.write_bytes(export)
    report = render_file(path, day1)
    assert set(report.leavers) <= set(clean.leavers)
    assert set(report.dropped) <= set(clean.dropped)
