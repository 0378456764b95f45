"""A gateway in front of Speakap that throttles with a Retry-After the client cannot read (not
seconds, not an HTTP date) must not crash the client: it backs off as for a 5xx and goes on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from reconciler.speakap.client import RetryPolicy, ScimClient, Secret
from reconciler.speakap.errors import UnavailableError
from reconciler.speakap.simulator import run_simulator

TOKEN = "retry-after-token"
RETRY = RetryPolicy(attempts=5, base_delay=0.01, max_delay=0.05, max_retry_after=1.0)


@contextmanager
def throttling_gateway(upstream: str, retry_after: str, throttle: int) -> Iterator[str]:
    """A real HTTP proxy to ``upstream`` that answers the first ``throttle`` requests with 429
    and ``Retry-After: <retry_after>``; yields its base URL."""
    left = [throttle]
    lock = threading.Lock()
    forward = httpx.Client(timeout=10.0)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with lock:
                throttled = left[0] > 0
                left[0] -= 1
            if throttled:
                body = b'{"detail": "slow down"}'
                self.send_response(429)
                self.send_header("Retry-After", retry_after)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            answer = forward.get(
                upstream + self.path,
                headers={"Authorization": self.headers.get("Authorization", "")},
            )
            self.send_response(answer.status_code)
            self.send_header("Content-Type", answer.headers.get("Content-Type", "application/json"))
            self.send_header("Content-Length", str(len(answer.content)))
            self.end_headers()
            self.wfile.write(answer.content)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        forward.close()


def test_a_throttled_listing_with_an_unreadable_retry_after_still_lists_every_user() -> None:
    with run_simulator(token=TOKEN, latency=0) as sim:
        for n in range(3):
            sim.network.create(
                "Users",
                {
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": f"user{n}@versmarkt.example",
                    "externalId": f"E{n}",
                },
            )
        prefix = sim.url[len(sim.url.split("/scim")[0]) :]
        upstream = sim.url.split("/scim")[0]
        with throttling_gateway(upstream, "in a little while", throttle=2) as gateway:
            client = ScimClient(gateway + prefix, Secret(TOKEN), retry=RETRY)
            try:
                users = client.list_all("/Users")
            finally:
                client.close()
    assert sorted(u["externalId"] for u in users) == ["E0", "E1", "E2"]
    assert client.stats.throttled == 2


def test_a_server_that_keeps_throttling_is_named_as_rate_limiting_when_retries_run_out() -> None:
    with run_simulator(token=TOKEN, latency=0) as sim:
        prefix = sim.url[len(sim.url.split("/scim")[0]) :]
        upstream = sim.url.split("/scim")[0]
        with throttling_gateway(upstream, "0", throttle=1000) as gateway:
            client = ScimClient(gateway + prefix, Secret(TOKEN), retry=RETRY)
            try:
                with pytest.raises(UnavailableError) as caught:
                    client.list_all("/Users")
            finally:
                client.close()
    assert "429" in str(caught.value)
    assert client.stats.throttled == RETRY.attempts
