"""An apply lock that cannot be made (the runtime folder is not a folder, or not writable for
this user on a shared runner) is a clear error naming the file, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.errors import SyncError
from reconciler.reconcile.lock import ApplyLock


def test_a_lock_under_a_file_names_the_lock_and_the_cause(tmp_path: Path) -> None:
    runtime = tmp_path / "runtime"
    runtime.write_text("not a folder")
    path = runtime / "speakap-sync" / "apply-0123.lock"
    with pytest.raises(SyncError, match="cannot make the apply lock") as caught:
        ApplyLock(path).acquire()
    assert str(path) in str(caught.value)


def test_apply_with_a_runtime_dir_that_is_a_file_stops_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    runtime = tmp_path / "runtime"
    runtime.write_text("not a folder")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("SPEAKAP_URL", "http://127.0.0.1:9/scim/v2")
    monkeypatch.setenv("SPEAKAP_TOKEN", "t")
    monkeypatch.delenv("SPEAKAP_TOKEN_FILE", raising=False)
    code = run(["apply", "--auto-approve", "--state-dir", str(tmp_path / "state")])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("error: ") and "apply lock" in err and "XDG_RUNTIME_DIR" in err
    assert "Traceback" not in err
