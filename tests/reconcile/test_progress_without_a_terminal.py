"""Without a terminal (a CI log), long work is not silent: a slow apply phase prints plain
progress lines as it goes (quick work prints none), a 429 wait prints a warning line, and
render reports the rows it reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from reconciler.render.run import render_to_disk
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.world import World
from tests.render.conftest import DAY1, REPO

STAFF = [person(f"E{i:02}") for i in range(1, 41)]


def test_a_slow_apply_phase_prints_plain_progress_lines(
    sim_world: tuple[World, SimulatorHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    world, sim = sim_world
    two_at_a_time = world.speakap_yaml.replace("concurrency: 8", "concurrency: 2")
    (world.state / "speakap.yaml").write_text(two_at_a_time)
    world.commit(STAFF)
    assert world.plan() == 2
    capsys.readouterr()
    sim.knobs.latency = 0.15  # 40 creates, two at a time: about 3 s
    assert world.apply() == 0
    lines = capsys.readouterr().err.splitlines()
    steps = [line for line in lines if line.startswith("creates: ") and "%" in line]
    assert steps, lines
    assert all("/40 (" in line and "/s, ETA " in line for line in steps)
    assert any(line.startswith("creates: 40/40 done in") for line in lines), lines
    assert not any(line.startswith("fetch users") for line in lines)  # quick: no noise


def test_a_rate_limited_plan_prints_the_waits_as_warnings(
    sim_world: tuple[World, SimulatorHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    world, sim = sim_world
    world.commit(STAFF[:3])
    sim.knobs.rate_limit = 5
    sim.knobs.retry_after = 0.3
    assert world.plan() == 2
    err = capsys.readouterr().err
    assert "warning: GET /" in err and "rate limited (429), waiting" in err


def test_render_reports_the_rows_it_reads(tmp_path: Path) -> None:
    state = tmp_path / "desired-state"
    shutil.copytree(REPO / "desired-state", state)
    seen: list[tuple[str, int, int | None]] = []
    export = REPO / "reconciler" / "data" / "hr-export-day1.csv"
    render_to_disk(export, state, DAY1, workers=1, progress=lambda *a: seen.append(a))
    rows = export.read_bytes().count(b"\n") - 1  # the header
    read = [s for s in seen if s[0] == "render rows"]
    assert read[0] == ("render rows", 0, None)
    assert read[-1] == ("render rows", rows, rows)
    seen.clear()  # again, in worker processes: the rows are counted where they are read
    render_to_disk(export, state, DAY1, workers=2, progress=lambda *a: seen.append(a))
    read = [s for s in seen if s[0] == "render rows"]
    assert read[0] == ("render rows", 0, None) and read[-1] == ("render rows", rows, rows)
