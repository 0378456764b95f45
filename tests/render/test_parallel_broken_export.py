"""A broken export: a file that cannot be read fails as fast in the parallel render as in the
serial one, and a quote that swallows rows holds every leaver in both."""

from __future__ import annotations

import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest

from reconciler.errors import InputError
from reconciler.render.run import render_to_disk
from reconciler.render.sources.base import MAX_LINE_CHARS
from tests.render.conftest import DAY1, REPO
from tests.render.make_samples import generate_rows, to_csv


def _state(tmp_path: Path, name: str) -> Path:
    state = tmp_path / name
    shutil.copytree(REPO / "desired-state", state, ignore=shutil.ignore_patterns("users"))
    return state


def test_an_overlong_line_mid_export_fails_at_once_in_worker_processes(tmp_path: Path) -> None:
    state = _state(tmp_path, "desired-state")
    lines = to_csv(generate_rows(3000)).split(b"\n")
    lines[40] = lines[40].replace(b";", b";" + b"x" * MAX_LINE_CHARS, 1)
    export = tmp_path / "export.csv"
    export.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError) as serial:
        render_to_disk(export, state, DAY1, workers=1)
    started = time.monotonic()
    with pytest.raises(InputError) as parallel:
        render_to_disk(export, state, DAY1, workers=3)
    elapsed = time.monotonic() - started
    assert str(parallel.value) == str(serial.value)
    assert serial.value.line == 41 and "longer than" in serial.value.message
    assert elapsed < 10, f"the parallel render took {elapsed:.0f} s to report a broken export"
    assert not (state / "users").exists()


def test_a_quote_that_swallows_rows_holds_the_same_people_in_worker_processes(
    tmp_path: Path,
) -> None:
    rows = to_csv(generate_rows(3000))
    lines = rows.split(b"\n")
    lines[40] = lines[40].replace(b";", b';"', 1)  # the quote swallows the rest of the file
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\n".join(lines))
    (tmp_path / "day1.csv").write_bytes(rows)
    results = []
    for workers, name in ((1, "serial"), (3, "parallel")):
        state = _state(tmp_path, name)
        render_to_disk(tmp_path / "day1.csv", state, DAY1, workers=workers)
        report = render_to_disk(broken, state, DAY1 + timedelta(days=1), workers=workers)
        users = {p.name: p.read_bytes() for p in sorted((state / "users").glob("*.yaml"))}
        results.append((report, users))
    (serial, serial_users), (parallel, parallel_users) = results
    assert serial.leavers == () and serial.suspended == ()
    assert len(serial.held) > 2000  # everyone below line 41
    assert parallel.to_json() == serial.to_json()
    assert parallel_users == serial_users
