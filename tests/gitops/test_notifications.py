"""Notifications reach a Slack- or Teams-compatible incoming webhook (a local HTTP server
here) on a blocked plan, a failed or stale apply and, when asked, a successful one; the
webhook URL is never printed, and a delivery problem never changes the outcome."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from reconciler.errors import ApplyDeclined, BlockedError, StalePlanError, SyncError
from reconciler.gitops.notify import Event, load_settings, payload, send, watching
from reconciler.model import Notifications

SECRET_PATH = "/hooks/T000/B000/s3cr3t-token"


@dataclass
class Webhook:
    url: str
    status: int = 200
    received: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            hook.received.append({"path": self.path, "body": body})
            self.send_response(hook.status)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_address[1]}{SECRET_PATH}"
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


def settings(*on: str, fmt: str = "slack") -> Notifications:
    return Notifications(webhook_env="HOOK", format=fmt, on=on or ("blocked", "failed", "stale"))  # type: ignore[arg-type]


def test_a_blocked_plan_posts_a_slack_message(webhook: Webhook) -> None:
    note = send(
        settings(), Event("blocked", "12 suspensions (40%)", None), env={"HOOK": webhook.url}
    )
    assert note == "notifications: sent 'blocked'"
    (got,) = webhook.received
    assert got["path"] == SECRET_PATH
    assert got["body"]["text"].startswith("*speakap-sync: plan blocked by a safety guard*")
    assert "12 suspensions (40%)" in got["body"]["text"]


def test_teams_gets_an_adaptive_card_with_the_run_link() -> None:
    body = payload(Event("failed", "3 action(s) failed", "https://ci/run/1"), "teams")
    (attachment,) = body["attachments"]
    card = attachment["content"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["body"][0]["text"] == "speakap-sync: apply failed"
    assert card["actions"][0]["url"] == "https://ci/run/1"


def test_events_not_asked_for_send_nothing(webhook: Webhook) -> None:
    env = {"HOOK": webhook.url}
    assert send(settings(), Event("succeeded", "5 changes", None), env=env) is None
    assert send(None, Event("failed", "x", None), env=env) is None
    assert webhook.received == []


def test_a_missing_url_is_said_and_nothing_is_sent() -> None:
    note = send(settings(), Event("failed", "x", None), env={})
    assert note == "notifications: HOOK is not set: no message sent"


def test_delivery_errors_never_show_the_url(webhook: Webhook) -> None:
    webhook.status = 500
    refused = send(settings(), Event("failed", "x", None), env={"HOOK": webhook.url})
    unreachable = send(
        settings(), Event("failed", "x", None), env={"HOOK": "http://127.0.0.1:9/s3cr3t-token"}
    )
    plain = send(settings(), Event("failed", "x", None), env={"HOOK": "http://example.com/s3cr3t"})
    assert refused == "notifications: the webhook refused the message (HTTP 500)"
    assert unreachable == "notifications: could not reach the webhook (ConnectError)"
    assert plain == "notifications: HOOK is not an https URL: no message sent"
    for note in (refused, unreachable, plain):
        assert note is not None and "s3cr3t" not in note


def test_the_detail_is_kept_short() -> None:
    text = payload(Event("stale", "x" * 5000, None), "slack")["text"]
    assert len(text) < 400


def policy_dir(tmp_path: Path, on: str) -> Path:
    (tmp_path / "policy.yaml").write_text(
        f"grace_days: 30\nnotifications:\n  webhook_env: HOOK\n  on: [{on}]\n", encoding="utf-8"
    )
    return tmp_path


@pytest.mark.parametrize(
    ("error", "command", "kind"),
    [
        (BlockedError("too many suspensions"), "plan", "blocked"),
        (StalePlanError("stale plan: 2 new actions"), "apply", "stale"),
        (SyncError("the token was revoked"), "apply", "failed"),
    ],
)
def test_errors_that_escape_a_command_are_notified_and_re_raised(
    webhook: Webhook, tmp_path: Path, error: SyncError, command: str, kind: str
) -> None:
    state = policy_dir(tmp_path, "blocked, failed, stale")
    lines: list[str] = []
    with (
        pytest.raises(type(error)),
        watching(state, command, lines.append, env={"HOOK": webhook.url}),
    ):
        raise error
    assert lines == [f"notifications: sent '{kind}'"]
    assert str(error) in webhook.received[0]["body"]["text"]


def test_an_apply_the_operator_declined_is_not_a_failure(webhook: Webhook, tmp_path: Path) -> None:
    state = policy_dir(tmp_path, "failed")
    with pytest.raises(ApplyDeclined), watching(state, "apply", print, env={"HOOK": webhook.url}):
        raise ApplyDeclined("aborted")
    assert webhook.received == []


def test_a_successful_apply_reports_counts_when_asked(webhook: Webhook, tmp_path: Path) -> None:
    state = policy_dir(tmp_path, "succeeded")
    summary = {
        "ok": True,
        "done": 3,
        "failed": 0,
        "counts": {
            "create_user": {"done": 2, "failed": 0},
            "suspend_user": {"done": 1, "failed": 0},
        },
    }
    with watching(state, "apply", print, env={"HOOK": webhook.url}) as watch:
        watch.applied(summary)
    text = webhook.received[0]["body"]["text"]
    assert "3 change(s) applied: create_user 2, suspend_user 1" in text


def test_a_policy_without_notifications_sends_nothing(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text("grace_days: 30\n")
    assert load_settings(tmp_path) is None
    assert load_settings(tmp_path / "missing") is None
