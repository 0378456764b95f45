"""The ``feed:`` section of source.yaml as typed values, with a preset's defaults merged in."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from reconciler.desired.config import SOURCE_FILE
from reconciler.desired.documents import load_text
from reconciler.errors import ConfigError
from reconciler.feeds.presets import PRESETS

# What the shipped render workflow (.github/workflows/speakap-sync-render.yml, and the copy
# `init` writes) passes to `speakap-sync fetch`: its secrets are named one by one, never all of
# them, so a feed reading any other variable fails in CI. tests/gitops holds the two equal.
WORKFLOW_VARIABLES = (
    "HR_FEED_TOKEN",
    "HR_FEED_CLIENT_ID",
    "HR_FEED_CLIENT_SECRET",
    "AFAS_TOKEN",
    "PERSONIO_CLIENT_ID",
    "PERSONIO_CLIENT_SECRET",
)

AuthType = Literal["none", "bearer", "header", "oauth2"]
PagingType = Literal["none", "next_link", "page", "skip_take", "cursor"]


@dataclass(frozen=True, slots=True)
class FeedAuth:
    type: AuthType = "none"
    token_env: str = "HR_FEED_TOKEN"
    header: str = "Authorization"
    prefix: str = ""
    token_url: str | None = None
    client_id_env: str = "HR_FEED_CLIENT_ID"
    client_secret_env: str = "HR_FEED_CLIENT_SECRET"
    scope: str | None = None

    def variables(self) -> dict[str, str]:
        """The environment variables this auth reads: the setting naming each -> its name."""
        if self.type == "oauth2":
            return {
                "client_id_env": self.client_id_env,
                "client_secret_env": self.client_secret_env,
            }
        if self.type in ("bearer", "header"):
            return {"token_env": self.token_env}
        return {}


def workflow_hint(variable: str) -> str | None:
    """What to do when the feed reads ``variable`` and the shipped render workflow does not
    pass it to fetch (a clause, "which …"); None when the workflow passes it."""
    if variable in WORKFLOW_VARIABLES:
        return None
    passed = ", ".join(WORKFLOW_VARIABLES[:-1]) + f" and {WORKFLOW_VARIABLES[-1]}"
    return (
        f"which the shipped render workflow does not pass to `speakap-sync fetch` (it passes "
        f"only {passed}): rename it to one of those, or add it to speakap-sync-render.yml (its "
        "workflow_call secrets and the fetch step's env) and to render.yml's secrets"
    )


def workflow_hints(feed: FeedConfig) -> list[str]:
    """For each variable the feed reads that CI would not have: which, and what to do."""
    hints = []
    for setting, variable in feed.auth.variables().items():
        hint = workflow_hint(variable)
        if hint is not None:
            hints.append(f"the feed reads {variable} (feed.auth.{setting}), {hint}")
    return hints


@dataclass(frozen=True, slots=True)
class FeedPaging:
    type: PagingType = "none"
    size: int = 100
    size_param: str = "size"
    page_param: str = "page"
    first_page: int = 1
    skip_param: str = "skip"
    cursor_param: str = "cursor"
    cursor_path: str = "next_cursor"
    next_path: str = "next"
    max_pages: int = 100_000


@dataclass(frozen=True, slots=True)
class FeedConfig:
    url: str
    auth: FeedAuth
    paging: FeedPaging
    records: str | None = None  # dot path to the list of records in a page
    timeout: float = 60.0
    retries: int = 5
    preset: str | None = None


def load_feed(state_dir: Path) -> FeedConfig:
    """The feed of ``state_dir/source.yaml``; a source.yaml without one is a ``ConfigError``."""
    feed = find_feed(state_dir)
    if feed is None:
        raise ConfigError(
            "has no `feed:` section: nothing to fetch", file=state_dir / SOURCE_FILE, field="feed"
        )
    return feed


def find_feed(state_dir: Path) -> FeedConfig | None:
    """The feed of ``state_dir/source.yaml``, or None when it has no ``feed:`` section."""
    path = state_dir / SOURCE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"cannot read it: {err.strerror}", file=path) from None
    doc = load_text(text, str(path), "source")
    feed = doc.get("feed") if isinstance(doc, Mapping) else None
    return parse_feed(feed, str(path)) if isinstance(feed, Mapping) else None


def parse_feed(feed: Mapping[str, Any], file: str) -> FeedConfig:
    preset_name = feed.get("preset")
    preset: dict[str, Any] = dict(PRESETS.get(str(preset_name), {})) if preset_name else {}
    url = feed.get("url", preset.get("url"))
    if not url:
        raise ConfigError("the feed needs a `url`", file=file, field="feed.url")
    auth = {**preset.get("auth", {}), **dict(feed.get("auth", {}))}
    paging = {**preset.get("pagination", {}), **dict(feed.get("pagination", {}))}
    if auth.get("type") == "oauth2" and not auth.get("token_url"):
        raise ConfigError("oauth2 needs a `token_url`", file=file, field="feed.auth.token_url")
    return FeedConfig(
        url=str(url),
        auth=FeedAuth(**{k: v for k, v in auth.items()}),
        paging=FeedPaging(**{("type" if k == "type" else k): v for k, v in paging.items()}),
        records=feed.get("records", preset.get("records")),
        timeout=float(feed.get("timeout", 60.0)),
        retries=int(feed.get("retries", 5)),
        preset=str(preset_name) if preset_name else None,
    )
