"""The simulator holds against hostile clients: it authenticates before it reads a body, refuses
an oversized body (413) and a bad Content-Length (400) without reading it, and closes a
connection that stays idle."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from reconciler.speakap.simulator import SimulatorHandle, run_simulator

TOKEN = "hostile-test-token"
MiB = 1024 * 1024


@pytest.fixture
def sim() -> Iterator[SimulatorHandle]:
    with run_simulator(token=TOKEN) as handle:
        handle.knobs.max_body_bytes = 64 * 1024
        yield handle


def _connect(sim: SimulatorHandle) -> socket.socket:
    parts = urlsplit(sim.url)
    conn = socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=5)
    return conn


def _exchange(sim: SimulatorHandle, head: str) -> tuple[int, dict[str, str], bytes, float]:
    """Send a request head (no body), read the answer: status, headers, body, seconds taken."""
    started = time.monotonic()
    with _connect(sim) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                break
            data += chunk
        header_text, _, rest = data.partition(b"\r\n\r\n")
        lines = header_text.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
        status = int(lines[0].split()[1])
        return status, headers, rest, time.monotonic() - started


def _post_head(path: str, length: str, token: str | None = TOKEN) -> str:
    auth = f"Authorization: Bearer {token}\n" if token else ""
    return (
        f"POST {path} HTTP/1.1\nHost: localhost\n{auth}"
        f"Content-Type: application/scim+json\nContent-Length: {length}\n"
    )


def test_an_unauthenticated_huge_body_is_refused_at_once_without_being_read(
    sim: SimulatorHandle,
) -> None:
    """400 MiB announced, nothing sent: the 401 comes back at once (no read is waited for)."""
    status, headers, body, seconds = _exchange(
        sim, _post_head("/scim/v2/Users", str(400 * MiB), None)
    )
    assert status == 401
    assert headers.get("connection") == "close"
    assert json.loads(body)["status"] == "401"
    assert seconds < 2


def test_a_wrong_token_is_refused_before_the_body_is_read(sim: SimulatorHandle) -> None:
    status, _, _, seconds = _exchange(sim, _post_head("/scim/v2/Users", str(MiB), "not-the-token"))
    assert status == 401
    assert seconds < 2


def test_a_body_over_the_cap_is_refused_with_413(sim: SimulatorHandle) -> None:
    status, _, body, seconds = _exchange(sim, _post_head("/scim/v2/Users", str(65 * 1024)))
    assert status == 413
    assert "over 65536 bytes" in json.loads(body)["detail"]
    assert seconds < 2
    assert sim.network.users == {}


@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "12 34", "99999999999999999999"])
def test_a_bad_content_length_is_a_400_not_a_traceback(sim: SimulatorHandle, length: str) -> None:
    status, _, body, _ = _exchange(sim, _post_head("/scim/v2/Users", length))
    assert status == 400
    assert "Content-Length" in json.loads(body)["detail"]


def test_two_different_content_lengths_are_a_400(sim: SimulatorHandle) -> None:
    head = _post_head("/scim/v2/Users", "2") + "Content-Length: 5\n"
    status, _, _, _ = _exchange(sim, head)
    assert status == 400


def test_a_chunked_body_is_refused_with_411(sim: SimulatorHandle) -> None:
    head = (
        f"POST /scim/v2/Users HTTP/1.1\nHost: localhost\nAuthorization: Bearer {TOKEN}\n"
        "Transfer-Encoding: chunked\n"
    )
    status, _, _, _ = _exchange(sim, head)
    assert status == 411


def test_the_server_keeps_serving_after_hostile_requests(sim: SimulatorHandle) -> None:
    for length in ("abc", str(400 * MiB)):
        _exchange(sim, _post_head("/scim/v2/Users", length, None))
        _exchange(sim, _post_head("/scim/v2/Users", length))
    response = httpx.get(
        f"{sim.url}/ServiceProviderConfig", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert response.status_code == 200


def test_an_idle_connection_is_closed_after_the_idle_timeout(sim: SimulatorHandle) -> None:
    sim.knobs.idle_timeout = 0.3
    started = time.monotonic()
    with _connect(sim) as conn:
        conn.settimeout(5)
        assert conn.recv(1024) == b""  # the server hung up without an answer
    assert time.monotonic() - started < 3


def test_a_body_that_stops_arriving_is_dropped_after_the_idle_timeout(
    sim: SimulatorHandle,
) -> None:
    sim.knobs.idle_timeout = 0.3
    started = time.monotonic()
    with _connect(sim) as conn:
        conn.settimeout(5)
        conn.sendall(_post_head("/scim/v2/Users", "100").replace("\n", "\r\n").encode() + b"\r\n{")
        assert conn.recv(1024) == b""
    assert time.monotonic() - started < 3
    assert sim.network.users == {}
