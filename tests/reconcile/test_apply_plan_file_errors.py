"""``apply --plan`` given something that is not a plan.json (the zipped artifact as GitHub
downloads it, the out/ folder itself) stops with one line naming the file, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.errors import ConfigError
from reconciler.reconcile.plan_json import read_plan


def test_apply_given_the_zipped_plan_artifact_names_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    artifact = tmp_path / "plan.zip"
    artifact.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe\x9c")
    code = run(["apply", "--plan", str(artifact), "--state-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ") and str(artifact) in err and "UTF-8" in err
    assert "Traceback" not in err


def test_apply_given_the_out_folder_instead_of_plan_json_names_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    code = run(["apply", "--plan", str(out), "--state-dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ") and str(out) in err
    assert "Traceback" not in err


def test_a_plan_file_that_cannot_be_read_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="folder"):
        read_plan(tmp_path)
