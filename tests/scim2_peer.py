"""scim2-server (PyPI), the third-party SCIM peer, run as a subprocess on a free loopback port.

Both the Speakap-stage and the reconciler tests use it; the Speakap extensions are declared to
it by the files in ``tests/speakap/scim2_server/``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

EXTENSION_FILES = Path(__file__).parent / "speakap" / "scim2_server"


@contextmanager
def scim2_server(token: str, *, extensions: bool = True) -> Iterator[str]:
    """Start scim2-server with dynamic tenants and bearer auth; yield its root URL. Without
    ``extensions`` it serves only its default RFC 7643 schemas (no Speakap extensions)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    declared = [
        "--schema", str(EXTENSION_FILES / "schemas.json"),
        "--resource-type", str(EXTENSION_FILES / "resource-types.json"),
    ]  # fmt: skip
    command = [
        str(Path(sys.executable).with_name("scim2-server")),
        *(declared if extensions else []),
        "--bearer-token", token,
        "--dynamic-tenants",
        "--port", str(port),
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ)
    )
    root = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                httpx.get(f"{root}/probe/v2/ServiceProviderConfig", timeout=1.0)
                break
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("scim2-server did not start")
                time.sleep(0.1)
        yield root
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
