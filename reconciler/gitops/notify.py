"""Notifications: a short message to a Slack- or Teams-compatible incoming webhook when a plan
is blocked, an apply fails or refuses a stale plan, and (when asked) after an apply that
changed something.

What to send and when comes from ``policy.yaml`` (``notifications``); the webhook URL comes
from the environment variable it names, because it is a secret: it is never printed, and a
delivery error says only what kind of error it was. A message that cannot be delivered is a
line on stderr, never a change of the command's exit code.

``watching(state_dir, command, echo)`` wraps a command: it sends ``blocked``, ``stale`` or
``failed`` for the errors that escape it (a blocked plan is one), and the caller reports an
apply's outcome with ``Watch.applied``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from reconciler.desired.config import POLICY_FILE, parse_policy
from reconciler.desired.documents import load_text
from reconciler.errors import ApplyDeclined, BlockedError, StalePlanError, SyncError
from reconciler.gitops.github import run_url_from_env
from reconciler.model import Notifications, NotifyEvent

Echo = Callable[[str], None]
TIMEOUT = 10.0
_MAX_DETAIL = 300
_TITLES: dict[NotifyEvent, str] = {
    "blocked": "plan blocked by a safety guard",
    "stale": "apply refused a stale plan",
    "failed": "apply failed",
    "succeeded": "apply done",
}


@dataclass(frozen=True, slots=True)
class Event:
    kind: NotifyEvent
    detail: str  # one line: counts or the error, never an email, phone or token
    link: str | None = None  # the CI run, when known


def payload(event: Event, fmt: str) -> dict[str, Any]:
    """The JSON an incoming webhook of ``fmt`` (slack or teams) expects."""
    title = f"speakap-sync: {_TITLES[event.kind]}"
    detail = event.detail if len(event.detail) <= _MAX_DETAIL else event.detail[:299] + "…"
    if fmt == "teams":
        body: list[dict[str, Any]] = [
            {"type": "TextBlock", "text": title, "weight": "Bolder", "wrap": True},
            {"type": "TextBlock", "text": detail, "wrap": True},
        ]
        card: dict[str, Any] = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": body,
        }
        if event.link:
            card["actions"] = [
                {"type": "Action.OpenUrl", "title": "Open the run", "url": event.link}
            ]
        return {
            "type": "message",
            "attachments": [
                {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
            ],
        }
    link = f"\n<{event.link}|Open the run>" if event.link else ""
    return {"text": f"*{title}*\n{detail}{link}"}


def send(
    settings: Notifications | None,
    event: Event,
    *,
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> str | None:
    """Post ``event`` when ``settings`` asks for it; returns a line for stderr (None: nothing
    to say). Never raises for a delivery problem, never shows the URL."""
    if settings is None or event.kind not in settings.on:
        return None
    env = os.environ if env is None else env
    url = env.get(settings.webhook_env, "").strip()
    if not url:
        return f"notifications: {settings.webhook_env} is not set: no message sent"
    if not _acceptable(url):
        return f"notifications: {settings.webhook_env} is not an https URL: no message sent"
    try:
        with httpx.Client(timeout=TIMEOUT, transport=transport, follow_redirects=False) as http:
            answer = http.post(url, json=payload(event, settings.format))
    except httpx.HTTPError as err:
        return f"notifications: could not reach the webhook ({type(err).__name__})"
    if answer.status_code >= 300:
        return f"notifications: the webhook refused the message (HTTP {answer.status_code})"
    return f"notifications: sent '{event.kind}'"


def _acceptable(url: str) -> bool:
    """https anywhere; plain http only to this machine (a local relay, the tests)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")


def load_settings(state_dir: Path) -> Notifications | None:
    """policy.yaml's ``notifications``; None when absent or when the policy cannot be read
    (the command itself then reports that error)."""
    path = state_dir / POLICY_FILE
    try:
        doc = load_text(path.read_text(encoding="utf-8"), str(path), "policy")
    except (OSError, UnicodeDecodeError, SyncError):
        return None
    return parse_policy(doc).notifications


@dataclass
class Watch:
    settings: Notifications | None
    echo: Echo
    env: Mapping[str, str] | None = None
    transport: httpx.BaseTransport | None = field(default=None, repr=False)

    def send(self, kind: NotifyEvent, detail: str) -> None:
        note = send(
            self.settings,
            Event(kind, detail, run_url_from_env(self.env)),
            env=self.env,
            transport=self.transport,
        )
        if note:
            self.echo(note)

    def applied(self, summary: Mapping[str, Any]) -> None:
        """After an apply: ``failed`` or ``succeeded`` (with counts) from its summary.json."""
        done, failed = int(summary.get("done", 0)), int(summary.get("failed", 0))
        if not summary.get("ok", failed == 0):
            self.send("failed", f"{failed} action(s) failed, {done} done: see the run's summary")
        elif done:
            counts = summary.get("counts") or {}
            kinds = ", ".join(f"{k} {c['done']}" for k, c in sorted(counts.items()) if c["done"])
            self.send("succeeded", f"{done} change(s) applied: {kinds}")


@contextmanager
def watching(
    state_dir: Path,
    command: str,
    echo: Echo,
    *,
    env: Mapping[str, str] | None = None,
    transport: httpx.BaseTransport | None = None,
) -> Iterator[Watch]:
    """Send a message for the errors that escape ``command`` (plan or apply), then re-raise."""
    watch = Watch(load_settings(state_dir), echo, env, transport)
    try:
        yield watch
    except ApplyDeclined:
        raise  # the operator said no: nothing to tell
    except StalePlanError as err:
        watch.send("stale", str(err))
        raise
    except BlockedError as err:
        watch.send("blocked", str(err))
        raise
    except SyncError as err:
        if command == "apply":
            watch.send("failed", str(err))
        raise
