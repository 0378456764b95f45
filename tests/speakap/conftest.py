"""Fixtures of the Speakap stage: the simulator in-process and scim2-server as a subprocess.

``scim_peer`` runs every client test against both servers: the embedded simulator (a fresh
network per test) and scim2-server (one process per session, a fresh tenant per test), with the
Speakap extensions declared to it by the files in ``tests/speakap/scim2_server/``.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import RetryPolicy, ScimClient, Secret
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.simulator import SimulatorHandle, run_simulator
from tests.scim2_peer import scim2_server as scim2_server_process

HERE = Path(__file__).parent
TOKEN = "peer-token-7f3a"
FAST_RETRY = RetryPolicy(attempts=8, base_delay=0.01, max_delay=0.1, max_retry_after=2.0)


@dataclass(frozen=True)
class Peer:
    name: str
    url: str
    token: str
    dialect: Dialect
    simulator: SimulatorHandle | None = None

    def client(self, **kwargs: object) -> ScimClient:
        options: dict[str, object] = {"retry": FAST_RETRY, "timeout": 10.0}
        options.update(kwargs)
        return ScimClient(self.url, Secret(self.token), **options)  # type: ignore[arg-type]

    def backend(self, **kwargs: object) -> ScimBackend:
        return ScimBackend(self.client(**kwargs), self.dialect)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def scim2_server() -> Iterator[str]:
    """A scim2-server process serving dynamic tenants; yields its root URL."""
    with scim2_server_process(TOKEN) as root:
        yield root


@pytest.fixture(params=["simulator", "scim2-server"])
def scim_peer(request: pytest.FixtureRequest) -> Iterator[Peer]:
    if request.param == "simulator":
        with run_simulator(token=TOKEN) as sim:
            yield Peer("simulator", sim.url, TOKEN, Dialect(), sim)
    else:
        root = request.getfixturevalue("scim2_server")
        tenant = "t" + uuid.uuid4().hex[:12]
        dialect = Dialect(memberships_from="group_members")
        yield Peer("scim2-server", f"{root}/{tenant}/v2", TOKEN, dialect)


@pytest.fixture
def simulator() -> Iterator[SimulatorHandle]:
    with run_simulator(token=TOKEN) as sim:
        yield sim
