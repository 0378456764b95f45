"""A lock file so two applies on one network cannot interleave.

An exclusive ``flock`` on a file: the kernel releases it when the holder dies, so a killed
apply never leaves a stale lock behind. The file records who holds it, for the error message.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import socket
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self

from reconciler.errors import BlockedError, StateError


def network_lock_path(base_url: str) -> Path:
    """One lock file per Speakap network (by its URL), whatever ``--out`` each apply uses.

    It lives in the user's runtime folder (or the system's temporary folder), outside any
    checkout, so two clones of one desired-state repository still exclude each other.
    """
    digest = hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:16]
    root = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()) / "speakap-sync"
    return root / f"apply-{digest}.lock"


class ApplyLock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:  # e.g. another user's folder on a shared runner
            raise StateError(
                f"cannot make the apply lock ({err.strerror}); point XDG_RUNTIME_DIR at a "
                "folder this user can write",
                file=self.path,
            ) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise BlockedError(
                f"another apply is running on this network ({holder})", file=self.path
            ) from err
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        os.ftruncate(self._fd, 0)
        fcntl.flock(self._fd, fcntl.LOCK_UN)
        os.close(self._fd)
        self._fd = None
