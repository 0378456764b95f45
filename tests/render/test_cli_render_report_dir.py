"""A --report path that cannot be a directory is refused in one error line before anything
is written: users/ stays as it was, and no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.data import sample_path


def test_a_report_path_that_is_a_file_leaves_the_state_untouched(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clash = tmp_path / "out"
    clash.write_text("a file where the report folder should go\n", encoding="utf-8")
    day1 = str(sample_path("hr-export-day1.csv"))
    args = ["render", day1, "--state-dir", str(state_dir), "--today", "2026-03-02"]
    code = run([*args, "--report", str(clash)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"error: {clash}: ") and "report" in err
    assert len(err.splitlines()) == 1
    assert not (state_dir / "users").exists()
    assert clash.read_text(encoding="utf-8").startswith("a file")
    assert run([*args, "--report", str(tmp_path / "report")]) == 0
    assert (tmp_path / "report" / "report.json").is_file()
