"""Sample HR exports shipped with the package (so ``speakap-sync demo`` works after install).

- ``hr-export-day1.csv``: Versmarkt's export of 2026-03-02 (see tests/render/make_samples.py);
- ``hr-export-day2.csv``: the next day's export (hires, transfers, a name change, leavers,
  a data error on an existing person).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

SAMPLES = ("hr-export-day1.csv", "hr-export-day2.csv")


def sample_path(name: str) -> Path:
    """The path of a shipped sample export, e.g. ``sample_path("hr-export-day1.csv")``."""
    if name not in SAMPLES:
        raise ValueError(f"no sample named {name!r} (known: {', '.join(SAMPLES)})")
    return Path(str(resources.files(__package__).joinpath(name)))
