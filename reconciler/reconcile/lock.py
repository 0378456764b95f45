"""A lock file so two applies on one network cannot interleave.

The lock is an operating-system file lock taken through ``filelock`` (``flock`` on POSIX,
``LockFileEx`` on Windows): the system releases it when the holder dies, so a killed apply
never leaves a stale lock behind. There is one lock per network, named after the network's
canonical URL (:func:`canonical_network_url`), so two spellings of one network exclude each
other. Neither the lock's folder nor the lock file is ever followed through a symbolic link.
A small file beside the lock records who holds it, for the error message.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import ipaddress
import os
import socket
import stat
import tempfile
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import filelock

from reconciler.errors import BlockedError, ConfigError, StateError

_DEFAULT_PORTS = {"http": 80, "https": 443}
_LOOPBACK = "localhost"
_LOOPBACK_ADDRESSES = (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows, where the lstat checks remain
_FIX = "point XDG_RUNTIME_DIR at a folder this user owns and can write"


def canonical_network_url(base_url: str) -> str:
    """``scheme://host[:port]/path`` of one network, however its URL is spelled.

    Scheme and host are lower-cased; ``localhost``, ``127.0.0.1`` and ``::1`` are one host; the
    scheme's default port, a trailing dot on the host, trailing slashes, credentials, query and
    fragment are dropped. The path keeps its case (servers may tell paths apart by case).
    """
    parts = urlsplit(base_url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1
    host = (parts.hostname or "").rstrip(".")
    if not scheme or not host or port == -1:
        raise ConfigError(
            "the Speakap URL is not an absolute http(s) URL with a valid host and port",
            field="url",
        )
    host = _canonical_host(host)
    netloc = host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


def _canonical_host(host: str) -> str:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host  # a name: urlsplit has lower-cased it
    if address in _LOOPBACK_ADDRESSES:
        return _LOOPBACK
    return f"[{address.compressed}]" if address.version == 6 else address.compressed


def network_lock_path(base_url: str) -> Path:
    """One lock file per Speakap network (by its canonical URL), whatever ``--out`` each
    apply uses.

    It lives in the user's runtime folder (or the system's temporary folder), outside any
    checkout, so two clones of one desired-state repository still exclude each other.
    """
    digest = hashlib.sha256(canonical_network_url(base_url).encode()).hexdigest()[:16]
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime:
        root = Path(runtime) / "speakap-sync"
    else:  # a shared folder: one subfolder per user, so no other user can squat on ours
        getuid = getattr(os, "getuid", None)
        suffix = f"-{getuid()}" if getuid is not None else ""
        root = Path(tempfile.gettempdir()) / f"speakap-sync{suffix}"
    return root / f"apply-{digest}.lock"


class ApplyLock:
    """An exclusive, non-blocking lock on ``path``: :meth:`acquire` refuses with a
    :class:`BlockedError` while another process holds it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.holder_path = path.with_name(path.name + ".holder")
        self._lock: filelock.BaseFileLock | None = None

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
        self._make_folder()
        if os.path.islink(self.path):
            raise self._symlink_error(self.path)
        lock = filelock.FileLock(str(self.path), timeout=0, thread_local=False)
        try:
            lock.acquire()
        except filelock.Timeout:
            raise BlockedError(
                f"another apply is running on this network ({self._holder()})", file=self.path
            ) from None
        except OSError as err:
            if err.errno in (errno.ELOOP, errno.EMLINK):  # a symlink appeared meanwhile
                raise self._symlink_error(self.path) from None
            raise self._cannot_make(err) from None
        self._lock = lock
        self._write_holder()

    def release(self) -> None:
        if self._lock is None:
            return
        with contextlib.suppress(OSError):  # cosmetic: the next holder overwrites it
            os.unlink(self.holder_path)
        self._lock.release()
        self._lock = None

    def _make_folder(self) -> None:
        """The lock's folder, private to its user (mode 0700, also when it existed before);
        refused if it is a link or another user's."""
        folder = self.path.parent
        if os.path.islink(folder):
            raise self._symlink_error(folder)
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            status = os.lstat(folder)
        except OSError as err:  # e.g. under a file, or another user's folder on a shared runner
            raise self._cannot_make(err) from None
        if stat.S_ISLNK(status.st_mode):
            raise self._symlink_error(folder)
        getuid = getattr(os, "getuid", None)  # POSIX only; Windows folders have ACLs instead
        if getuid is None:
            return
        if status.st_uid != getuid():
            raise StateError(
                f"the apply lock's folder {folder} belongs to another user; {_FIX}",
                file=self.path,
            )
        if stat.S_IMODE(status.st_mode) != 0o700:  # e.g. made by an older version, or by hand
            self._make_private(folder)

    def _make_private(self, folder: Path) -> None:
        """chmod 0700 through a descriptor opened without following a link (no race with a
        link swapped in after the checks)."""
        flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW
        try:
            fd = os.open(folder, flags)
        except OSError as err:
            if err.errno in (errno.ELOOP, errno.ENOTDIR):
                raise self._symlink_error(folder) from None
            raise self._cannot_make(err) from None
        try:
            os.fchmod(fd, 0o700)
        except OSError as err:
            raise self._cannot_make(err) from None
        finally:
            os.close(fd)

    def _cannot_make(self, err: OSError) -> StateError:
        return StateError(
            f"cannot make the apply lock ({err.strerror or err}); {_FIX}", file=self.path
        )

    def _symlink_error(self, link: Path) -> StateError:
        what = "it" if link == self.path else f"its folder {link}"
        return StateError(
            f"refusing the apply lock: {what} is a symbolic link (a lock is never followed "
            "through one); remove the link",
            file=self.path,
        )

    def _write_holder(self) -> None:
        text = f"pid {os.getpid()} on {socket.gethostname()}\n".encode()
        try:
            flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | _NOFOLLOW
            fd = os.open(self.holder_path, flags, 0o644)
        except OSError:
            return  # the lock holds without it; only the other apply's message is vaguer
        try:
            os.write(fd, text)
        finally:
            os.close(fd)

    def _holder(self) -> str:
        try:
            fd = os.open(self.holder_path, os.O_RDONLY | _NOFOLLOW)
        except OSError:
            return "another process"
        try:
            text = os.read(fd, 200).decode(errors="replace").strip()
        finally:
            os.close(fd)
        return text or "another process"
