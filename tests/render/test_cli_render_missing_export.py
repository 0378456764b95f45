"""The commonest slip, a mistyped export path, is one error line, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run


def test_rendering_an_export_that_does_not_exist_names_it_in_one_line(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "hr-export-typo.csv"
    code = run(["render", str(missing), "--state-dir", str(state_dir), "--today", "2026-03-02"])
    err = capsys.readouterr().err
    assert code == 1
    assert err == f"error: {missing}: file not found\n"
    assert not (state_dir / "users").exists()
