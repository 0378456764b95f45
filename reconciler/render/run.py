"""The I/O shell of render: read the configuration, the previous state and the export; render
(serially, or in worker processes for a large export); write desired-state/ and the report.

The rendering itself is ``render.core`` (pure); ``render.parallel`` is the process machinery.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

from reconciler.desired.config import load_config
from reconciler.desired.state import USERS_DIR, read_state, render_shards, write_files
from reconciler.errors import InputError
from reconciler.render import parallel
from reconciler.render.core import render
from reconciler.render.report import Report, write_report
from reconciler.render.sources import open_export


def render_to_disk(
    hr_file: Path,
    state_dir: Path,
    today: date,
    report_dir: Path | None = None,
    *,
    workers: int | None = None,
) -> Report:
    """Read config, previous state and the export; render; write state and report.

    Everything is read and rendered before anything is written, and ``users/`` is swapped in
    atomically, so any error leaves desired-state/ as it was. Large exports are rendered in
    ``workers`` processes (default: by size and CPU count), each owning a set of shards.
    """
    if report_dir is not None:  # before anything is written: the state and its report go together
        _make_report_dir(report_dir)
    config = load_config(state_dir)
    shards = config.source.user_shards
    count = _workers(hr_file) if workers is None else workers
    result = None
    if count > 1 and parallel.possible(state_dir, shards):
        result = parallel.render_files(hr_file, config, state_dir, today, count)
    if result is None:  # serial, or people outside their shard (another shard count)
        previous = read_state(state_dir) if (state_dir / USERS_DIR).is_dir() else None
        export = open_export(hr_file, config.source)
        try:
            state, report = render(
                export.rows,
                config,
                previous,
                today,
                source_name=hr_file.name,
                serial_dates=export.serial_dates,
            )
        finally:
            export.close()
        files = render_shards(state.people, shards)
    else:
        files, report = result
    write_files(state_dir, files)
    if report_dir is not None:
        write_report(report, report_dir)
    return report


def _make_report_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(
            f"cannot use it as the report directory ({err.strerror})",
            file=directory,
            field="--report",
        ) from None


def _workers(hr_file: Path) -> int:
    """Processes for rendering: worth it from about 10,000 rows (1 MB) on."""
    if not hr_file.is_file() or hr_file.stat().st_size < 1_000_000:  # open_export names a typo
        return 1
    return max(1, min(os.cpu_count() or 1, 4))
