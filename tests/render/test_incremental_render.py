"""The render cache changes how much work a render does, never what it writes.

Day after day, a render with the cache gives byte for byte the shards and the report of a
render without it; a person whose row did not change is not normalised again, an unchanged
shard is not written again, and a missing, damaged, foreign or stale cache is harmless.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.data import sample_path
from reconciler.desired.config import CONFIG_FILES, SourceConfig
from reconciler.render import cache
from reconciler.render.normalize import Row, normalize_row
from reconciler.render.report import Report
from reconciler.render.run import render_to_disk
from reconciler.render.sources.base import RawRow
from tests.render.conftest import DAY1, REPO, employee
from tests.render.make_samples import day2_rows, to_csv
from tests.render.test_properties import row_values

Rows = list[dict[str, str]]


def make_state(root: Path, name: str) -> Path:
    target = root / name
    target.mkdir()
    for config_file in CONFIG_FILES:
        shutil.copy(REPO / "desired-state" / config_file, target / config_file)
    return target


def shards(state_dir: Path) -> dict[str, bytes]:
    users = state_dir / "users"
    return {p.name: p.read_bytes() for p in sorted(users.glob("*.yaml"))} if users.is_dir() else {}


@dataclass
class Twins:
    """One state rendered with the cache, one without, from the same exports."""

    root: Path
    cached: Path
    plain: Path
    day: int = 0

    def render(self, rows: Rows, today: date, workers: int = 1) -> tuple[Report, Report]:
        self.day += 1
        export = self.root / f"export-{self.day}.csv"
        export.write_bytes(to_csv(rows))
        with_cache = render_to_disk(export, self.cached, today, workers=workers)
        without = render_to_disk(export, self.plain, today, workers=1, use_cache=False)
        return with_cache, without


def twins(root: Path) -> Twins:
    return Twins(root, make_state(root, "cached"), make_state(root, "plain"))


@st.composite
def histories(draw: st.DrawFn) -> list[tuple[Rows, int]]:
    """Exports of a few days that mostly repeat the day before (kept, dropped, changed and
    new rows), each with the days since the previous render (sometimes back in time)."""
    rows: Rows = [dict(r) for r in draw(st.lists(row_values, min_size=1, max_size=12))]
    days: list[tuple[Rows, int]] = [(rows, 0)]
    for _ in range(draw(st.integers(1, 3))):
        changed: Rows = []
        for row in rows:
            fate = draw(st.sampled_from(["keep", "keep", "keep", "drop", "change"]))
            if fate == "keep":
                changed.append(row)
            elif fate == "change":
                changed.append(dict(draw(row_values)))
        changed += [dict(r) for r in draw(st.lists(row_values, max_size=3))]
        rows = changed
        days.append((rows, draw(st.integers(-3, 45))))
    return days


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories())
def test_a_render_with_the_cache_writes_what_one_without_writes(
    history: list[tuple[Rows, int]],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        pair = twins(Path(tmp))
        today = DAY1
        for rows, gap in history:
            today += timedelta(days=gap)
            with_cache, without = pair.render(rows, today)
            assert with_cache == without
            assert shards(pair.cached) == shards(pair.plain)


def test_the_parallel_render_with_the_cache_writes_what_a_serial_one_without_writes(
    tmp_path: Path,
) -> None:
    pair = twins(tmp_path)
    day1 = sample_path("hr-export-day1.csv").read_bytes()
    days = ((day1, DAY1), (day1, DAY1), (to_csv(day2_rows()), DAY1 + timedelta(days=1)))
    for data, today in days:
        export = tmp_path / f"export-{today}.csv"
        export.write_bytes(data)
        assert render_to_disk(export, pair.cached, today, workers=2) == render_to_disk(
            export, pair.plain, today, workers=1, use_cache=False
        )
        assert shards(pair.cached) == shards(pair.plain)


def test_only_the_rows_that_changed_are_normalised_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    def counted(raw: RawRow, source: SourceConfig, *, serial_dates: bool = False) -> Row:
        calls.append(raw.line)
        return normalize_row(raw, source, serial_dates=serial_dates)

    monkeypatch.setattr("reconciler.render.core.normalize_row", counted)
    pair = twins(tmp_path)
    staff = [employee(f"{n:06d}") for n in range(100, 130)]
    pair.render(staff, DAY1)
    assert len(calls) == 2 * 30  # the first render (and the one without cache) do every row
    calls.clear()
    pair.render(staff, DAY1 + timedelta(days=1))
    assert len(calls) == 30  # only the render without the cache
    staff[3] = employee("000103", job_title="Bedrijfsleider")
    calls.clear()
    pair.render(staff, DAY1 + timedelta(days=2))
    assert len(calls) == 30 + 1
    assert shards(pair.cached) == shards(pair.plain)


def test_a_shard_whose_text_does_not_change_is_not_written_again(tmp_path: Path) -> None:
    pair = twins(tmp_path)
    staff = [employee(f"{n:06d}") for n in range(100, 160)]
    pair.render(staff, DAY1)
    before = {p.name: p.stat().st_ino for p in (pair.cached / "users").glob("*.yaml")}
    staff[0] = employee("000100", job_title="Bedrijfsleider")
    pair.render(staff, DAY1 + timedelta(days=1))
    after = {p.name: p.stat().st_ino for p in (pair.cached / "users").glob("*.yaml")}
    rewritten = {name for name in after if after[name] != before.get(name)}
    assert len(rewritten) == 1  # the shard of 000100, nothing else
    assert shards(pair.cached) == shards(pair.plain)


@pytest.mark.parametrize(
    "damage",
    ["deleted", "empty", "garbage", "truncated", "one byte flipped", "another version"],
)
def test_a_missing_or_damaged_cache_is_harmless(tmp_path: Path, damage: str) -> None:
    pair = twins(tmp_path)
    staff = [employee(f"{n:06d}") for n in range(100, 140)]
    pair.render(staff, DAY1)
    path = cache.cache_path(pair.cached)
    data = path.read_bytes()
    if damage == "deleted":
        shutil.rmtree(path.parent)
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "garbage":
        path.write_bytes(os.urandom(2000))
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "one byte flipped":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :])
    else:
        path.write_bytes(data.replace(b"cache v1", b"cache v0", 1))
    staff[5] = employee("000105", family_name="Jansen")
    with_cache, without = pair.render(staff, DAY1 + timedelta(days=1))
    assert with_cache == without
    assert shards(pair.cached) == shards(pair.plain)
    assert cache.load(pair.cached, cache.inputs_digest(pair.cached)).shards  # written afresh


def test_a_hand_edited_shard_is_rendered_as_without_the_cache(tmp_path: Path) -> None:
    pair = twins(tmp_path)
    staff = [employee(f"{n:06d}") for n in range(100, 140)]
    pair.render(staff, DAY1)
    for state in (pair.cached, pair.plain):
        shard = next((state / "users").glob("*.yaml"))
        shard.write_text(shard.read_text().replace("Verkoopmedewerker", "Chef", 1))
    pair.render(staff, DAY1 + timedelta(days=1))
    assert b"Chef" not in b"".join(shards(pair.cached).values())
    assert shards(pair.cached) == shards(pair.plain)


def test_a_changed_configuration_makes_the_cache_miss(tmp_path: Path) -> None:
    pair = twins(tmp_path)
    staff = [employee(f"{n:06d}", language="") for n in range(100, 140)]
    pair.render(staff, DAY1)  # no language in the export: the default, nl, for everyone
    for state in (pair.cached, pair.plain):
        source = state / "source.yaml"
        text = source.read_text()
        source.write_text(text.replace("default_language: nl", "default_language: en"))
    pair.render(staff, DAY1)
    assert shards(pair.cached) == shards(pair.plain)
    assert b'language: "nl"' not in b"".join(shards(pair.cached).values())


def test_git_never_sees_the_cache(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    state_dir = make_state(repo, "desired-state")
    render_to_disk(sample_path("hr-export-day1.csv"), state_dir, DAY1, workers=1)
    assert cache.cache_path(state_dir).is_file()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert status and cache.CACHE_DIR not in status
