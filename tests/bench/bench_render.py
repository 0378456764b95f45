"""Benchmark: render a generated 100,000-row HR export (target <= 15 s, <= 1 GiB peak RSS).

    make bench            # all benchmarks
    .venv/bin/python -m tests.bench render

Runs ``speakap-sync render`` as a child process (so its peak RSS is measured alone) three
times on a copy of desired-state/ with 256 shards: the first render (no previous state), a
no-op re-render (100,000 people read back as the previous state), and the next day with 1%
of the rows changed. Then times ``read_state`` of the 100,000 people in this process.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.render.make_samples import generate_rows, to_csv

ROWS = 100_000
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


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        state = work / "desired-state"
        shutil.copytree(ROOT / "desired-state", state, ignore=shutil.ignore_patterns("users"))
        source = state / "source.yaml"
        source.write_text(source.read_text().replace("user_shards: 16", "user_shards: 256"))
        rows = generate_rows(ROWS)
        day1 = work / "day1.csv"
        day1.write_bytes(to_csv(rows))
        for row in rows[::100]:  # 1% of the people change job title the next day
            row["Functie"] = "Senior " + (row["Functie"] or "medewerker")
        day2 = work / "day2.csv"
        day2.write_bytes(to_csv(rows))
        del rows
        size = day1.stat().st_size / 1e6
        print(f"export: {ROWS} rows, {size:.1f} MB (cp1252, ';')")
        for label, export, today in (
            ("first render", day1, "2026-03-02"),
            ("re-render, no change", day1, "2026-03-02"),
            ("next day, 1% changed", day2, "2026-03-03"),
        ):
            seconds, rss = _render(export, state, today)
            print(f"render {label:<22} {seconds:6.2f} s   peak RSS (max so far) {rss:6.0f} MiB")
        files = list((state / "users").glob("*.yaml"))
        megabytes = sum(f.stat().st_size for f in files) / 1e6
        print(f"state: {len(files)} shards, {megabytes:.1f} MB")
        from reconciler.desired.state import read_state

        start = time.perf_counter()
        people = len(read_state(state).people)
        print(f"read_state: {people} people in {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
