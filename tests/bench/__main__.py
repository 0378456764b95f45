"""Run every benchmark (``make bench``): each ``bench_*.py`` module here has a ``main()``.

Benchmarks print figures (users, seconds, requests, peak memory); they are not part of
``make test``'s pass/fail. ``python -m tests.bench NAME`` runs only the modules whose name
contains NAME.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> None:
    wanted = sys.argv[1:]
    here = Path(__file__).parent
    for module in sorted(m.name for m in pkgutil.iter_modules([str(here)])):
        if not module.startswith("bench_"):
            continue
        if wanted and not any(w in module for w in wanted):
            continue
        print(f"== {module}", flush=True)
        importlib.import_module(f"tests.bench.{module}").main()


if __name__ == "__main__":
    main()
