"""`atomic_write`: a reader finds the old file or the new one, whole and private; a failed
write leaves the old file as it was and no temporary file beside it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from reconciler.atomic import atomic_write


def test_text_is_written_as_utf8_over_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("old")
    atomic_write(path, "Chloé Öztürk\n")
    assert path.read_bytes() == "Chloé Öztürk\n".encode()
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_bytes_are_written_as_they_are(tmp_path: Path) -> None:
    path = tmp_path / "render.json"
    atomic_write(path, b"\x00head\nbody")
    assert path.read_bytes() == b"\x00head\nbody"


def test_the_file_is_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "contacts.json"
    atomic_write(path, "{}")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_text_that_is_not_utf8_leaves_the_old_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(path, "new \ud800")  # a lone surrogate cannot be written as UTF-8
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["plan.json"]


def test_a_write_that_fails_on_disk_leaves_the_old_file_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "network.json"
    path.write_text("old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("reconciler.atomic.os.fsync", disk_full)
    with pytest.raises(OSError, match="No space left"):
        atomic_write(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["network.json"]
