"""Writing a file so that a reader, or the next run after a crash, finds the old file or the
new one, whole: never a half-written plan, contacts file, HR export, render cache or simulator
state.

It sits at the top of the package, beside ``errors`` and ``model``, because every stage writes
such files (desired, render, reconcile, the feeds, the simulator) and it imports nothing of
theirs: a stage importing it depends on no other stage.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def atomic_write(path: Path, data: str | bytes) -> None:
    """Write ``data`` (text as UTF-8) to ``path``: a temporary file beside it, synced to disk,
    then renamed over it. The file is private to its owner (mode 0600, as ``mkstemp`` makes
    it): plans, contacts and exports hold personal data. On any failure the old file stays as
    it was and the temporary file is removed; the error is the caller's to report."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
