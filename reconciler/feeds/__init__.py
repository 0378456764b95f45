"""HR API feeds: page through an HR system's JSON API and write the export that render reads.

One external system per module: ``config`` reads the ``feed:`` section of source.yaml (with the
vendor presets of ``presets``), ``client`` talks HTTP (auth, paging, retries, limits), and
``fetch_feed`` here writes the records as one JSON export, atomically.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.atomic import atomic_write
from reconciler.feeds.client import FeedClient
from reconciler.feeds.config import load_feed
from reconciler.model import Progress

_TASK = "fetch records"


@dataclass(frozen=True, slots=True)
class FeedResult:
    path: Path
    records: int
    pages: int


def fetch_feed(
    state_dir: Path,
    out: Path,
    *,
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] | None = None,
    progress: Progress | None = None,
) -> FeedResult:
    """Fetch every record of the feed configured in ``state_dir/source.yaml`` into ``out``.
    ``progress`` sees the records read, page by page ("fetch records"; the total is known at
    the end)."""
    config = load_feed(state_dir)
    client = FeedClient(
        config, os.environ if env is None else env, transport=transport, sleep=sleep
    )
    records: list[dict[str, Any]] = []
    with client:
        if progress is not None:
            progress(_TASK, 0, None)
        for page in client.pages_of_records():
            records += page
            if progress is not None:
                progress(_TASK, len(records), None)
    if progress is not None:
        progress(_TASK, len(records), len(records))
    out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(out, json.dumps(records, ensure_ascii=False, indent=1) + "\n")
    return FeedResult(out, len(records), client.pages)
