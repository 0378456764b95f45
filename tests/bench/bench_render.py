"""Benchmark: render a generated 100,000-row HR export (target <= 15 s, <= 1 GiB peak RSS), and
a 300,000-row one.

    make bench            # all benchmarks
    .venv/bin/python -m tests.bench render

Runs ``speakap-sync render`` as a child process (so its peak RSS is measured alone) three
times on a copy of desired-state/ with 256 shards: the first render (no previous state), a
no-op re-render (100,000 people read back as the previous state), and the next day with 1%
of the rows changed. Then times ``read_state`` of the 100,000 people in this process. The
render cache (``desired-state/.speakap-sync-cache``) is kept between the runs, as it would be
between two renders on one machine. Then the same first render and next day for 300,000 rows
(``BENCH_RENDER_LARGE`` rows, 4,096 shards; 0 skips it).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.render.make_samples import generate_rows, to_csv

ROWS = 100_000
LARGE = int(os.environ.get("BENCH_RENDER_LARGE", "300000"))
ROOT = Path(__file__).resolve().parents[2]


def _render(export: Path, state: Path, today: str) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "reconciler", "render", str(export), "--state-dir", str(state),
         "--today", today, "--report", str(state.parent / "report")],
        check=True,
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def _exports(work: Path, rows_count: int) -> tuple[Path, Path]:
    """Day 1 and day 2 (1% of the people with another job title) of a generated export."""
    rows = generate_rows(rows_count)
    day1 = work / f"day1-{rows_count}.csv"
    day1.write_bytes(to_csv(rows))
    for row in rows[::100]:  # 1% of the people change job title the next day
        row["Functie"] = "Senior " + (row["Functie"] or "medewerker")
    day2 = work / f"day2-{rows_count}.csv"
    day2.write_bytes(to_csv(rows))
    return day1, day2


def _state(work: Path, name: str, shards: int) -> Path:
    state = work / name / "desired-state"
    shutil.copytree(ROOT / "desired-state", state, ignore=shutil.ignore_patterns("users"))
    source = state / "source.yaml"
    source.write_text(source.read_text().replace("user_shards: 16", f"user_shards: {shards}"))
    return state


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        state = _state(work, "100k", 256)
        day1, day2 = _exports(work, ROWS)
        size = day1.stat().st_size / 1e6
        print(f"export: {ROWS} rows, {size:.1f} MB (cp1252, ';')")
        times: dict[str, float] = {}
        for label, export, today in (
            ("first render", day1, "2026-03-02"),
            ("re-render, no change", day1, "2026-03-02"),
            ("next day, 1% changed", day2, "2026-03-03"),
        ):
            seconds, rss = _render(export, state, today)
            times[label] = seconds
            print(f"render {label:<22} {seconds:6.2f} s   peak RSS (max so far) {rss:6.0f} MiB")
        ratio = times["next day, 1% changed"] / times["first render"]
        print(f"render next day / first render: {ratio:.2f} (target <= 0.30)")
        files = list((state / "users").glob("*.yaml"))
        megabytes = sum(f.stat().st_size for f in files) / 1e6
        print(f"state: {len(files)} shards, {megabytes:.1f} MB")
        from reconciler.desired.state import read_state

        start = time.perf_counter()
        people = len(read_state(state).people)
        print(f"read_state: {people} people in {time.perf_counter() - start:.2f} s", flush=True)
    if LARGE:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            state = _state(work, "large", 4096)
            day1, day2 = _exports(work, LARGE)
            first, _ = _render(day1, state, "2026-03-02")
            second, rss = _render(day2, state, "2026-03-03")
            print(
                f"render {LARGE:,} rows (4,096 shards): first render {first:.2f} s, next day "
                f"1% changed {second:.2f} s (ratio {second / first:.2f}), peak RSS {rss:.0f} MiB"
            )


if __name__ == "__main__":
    main()
