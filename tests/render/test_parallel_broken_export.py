"""A broken export fails as fast in the parallel render as in the serial one."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from reconciler.errors import InputError
from reconciler.render.run import render_to_disk
from tests.render.conftest import DAY1, REPO
from tests.render.make_samples import generate_rows, to_csv


def test_an_unterminated_quote_mid_export_fails_at_once_in_worker_processes(
    tmp_path: Path,
) -> None:
    state = tmp_path / "desired-state"
    shutil.copytree(REPO / "desired-state", state, ignore=shutil.ignore_patterns("users"))
    lines = to_csv(generate_rows(3000)).split(b"\n")
    lines[40] = lines[40].replace(b";", b';"', 1)  # the quote swallows the rest of the file
    export = tmp_path / "export.csv"
    export.write_bytes(b"\n".join(lines))
    with pytest.raises(InputError) as serial:
        render_to_disk(export, state, DAY1, workers=1)
    started = time.monotonic()
    with pytest.raises(InputError) as parallel:
        render_to_disk(export, state, DAY1, workers=3)
    elapsed = time.monotonic() - started
    assert str(parallel.value) == str(serial.value)
    assert "malformed CSV" in str(serial.value) and serial.value.line is not None
    assert elapsed < 10, f"the parallel render took {elapsed:.0f} s to report a broken export"
    assert not (state / "users").exists()
