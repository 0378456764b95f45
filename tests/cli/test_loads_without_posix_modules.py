"""The CLI loads where POSIX-only modules do not exist (Windows): no module of ours imports
one at load time, and what the libraries import of them is guarded.

A fresh interpreter makes those modules unimportable, as they are on Windows, records who asked
for them, and imports ``reconciler.cli``."""

from __future__ import annotations

import json
import subprocess
import sys

POSIX_ONLY = ("fcntl", "pwd", "grp", "resource", "termios", "tty", "pty", "syslog")

PROBE = """
import importlib.abc, json, sys

POSIX_ONLY = set(json.loads(sys.argv[1]))
asked = []


class AsOnWindows(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name not in POSIX_ONLY:
            return None
        frame = sys._getframe(1)
        while frame and frame.f_code.co_filename.startswith("<frozen importlib"):
            frame = frame.f_back
        asked.append([name, frame.f_globals.get("__name__", "?") if frame else "?"])
        raise ModuleNotFoundError(f"No module named {name!r}", name=name)


already = sorted(POSIX_ONLY & set(sys.modules))  # loaded by the interpreter itself
for name in POSIX_ONLY - set(already):
    sys.modules.pop(name, None)
sys.meta_path.insert(0, AsOnWindows())
import reconciler.cli  # noqa: E402
import reconciler.reconcile.lock  # noqa: E402

loaded = sorted(POSIX_ONLY & set(sys.modules) - set(already))
print(json.dumps({"asked": asked, "loaded": loaded}))
"""


def test_the_cli_loads_with_posix_only_modules_missing_and_asks_for_none_of_them() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(POSIX_ONLY)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    ours = [
        (module, importer)
        for module, importer in report["asked"]
        if importer.startswith("reconciler")
    ]
    assert ours == []
    assert report["loaded"] == []
