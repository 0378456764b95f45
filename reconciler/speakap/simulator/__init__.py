"""The embedded Speakap simulator: a real SCIM 2.0 server on loopback.

In tests and in the demo::

    with run_simulator(token="t", data=path, latency=0.0) as sim:
        client = ScimClient(sim.url, Secret(sim.token))
        ...
        sim.network.users        # direct access for assertions
        sim.invitations()        # the invitations sent, by channel
        sim.advance_clock(days=31)

A printable invite's one-time code comes back once, in the create response's bag;
``POST /_sim/activate {"login": ..., "code": ...}`` redeems it once (as the app would).

From the command line: ``speakap-sync simulator --port 8765 --data network.json``.
"""

from __future__ import annotations

import errno
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.errors import ConfigError, SyncError
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.simulator.data import check_data
from reconciler.speakap.simulator.server import Counters, Knobs, SimulatorServer, save_if_changed
from reconciler.speakap.simulator.store import Network, NetworkSettings, ScimProblem

__all__ = [
    "Knobs",
    "Network",
    "NetworkSettings",
    "ScimProblem",
    "SimulatorHandle",
    "load_network",
    "run_simulator",
]


@dataclass
class SimulatorHandle:
    """A running simulator: its URL and token, and direct access to its state and knobs."""

    server: SimulatorServer
    token: str
    data: Path | None

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def network(self) -> Network:
        return self.server.network

    @property
    def knobs(self) -> Knobs:
        return self.server.knobs

    @property
    def counters(self) -> Counters:
        return self.server.counters

    def invitations(self) -> list[dict[str, Any]]:
        """The invitations sent (without the hashes of printable invites' one-time codes)."""
        return self.network.public_invitations()

    def advance_clock(self, *, days: float = 0, seconds: float = 0) -> None:
        self.network.advance_clock(days * 86400 + seconds)

    def save(self) -> None:
        if self.data is not None:
            self.network.save(self.data)

    def __repr__(self) -> str:
        return f"SimulatorHandle(url={self.url!r})"


def load_network(data: Path | None, dialect: Dialect | None = None) -> Network:
    """The network saved in (or seeded by) ``data``; an empty one if the file does not exist.

    The file is checked against ``schemas/simulator-data.schema.json`` first, so a seed with a
    typo is refused with one :class:`ConfigError` naming the file and the field path (e.g.
    ``users[2].userName``) instead of failing somewhere inside the simulator.
    """
    if data is None or not data.exists():
        return Network(dialect=dialect or Dialect())
    try:
        raw = json.loads(data.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text ({exc.reason})", file=data) from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"not valid JSON ({exc.msg})", file=data, line=exc.lineno) from None
    except OSError as exc:
        raise ConfigError(f"cannot be read ({exc.strerror})", file=data) from None
    check_data(raw, data)
    try:
        return Network.load(raw, dialect)
    except ScimProblem as problem:
        raise ConfigError(f"invalid simulator data: {problem.detail}", file=data) from None


@contextmanager
def run_simulator(
    *,
    token: str = "simulator-token",
    data: Path | None = None,
    network: Network | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    seed: int | None = None,
    latency: float = 0.0,
    rate_limit: float | None = None,
    retry_after: float = 1.0,
    fault_rate: float = 0.0,
    fault_delay: float = 2.0,
    max_page_size: int = 1000,
    bulk_max_operations: int = 0,
    settings: NetworkSettings | None = None,
    dialect: Dialect | None = None,
    save_interval: float = 0.5,
) -> Iterator[SimulatorHandle]:
    """Start the simulator on a free loopback port for the duration of the block.

    With ``data``, the state is loaded from that JSON file (a saved state or a seed) and saved
    back to it, atomically, every ``save_interval`` seconds after a change and on exit.
    """
    net = network or load_network(data, dialect)
    if settings is not None:
        net.settings = settings
    knobs = Knobs(
        latency=latency,
        rate_limit=rate_limit,
        retry_after=retry_after,
        fault_rate=fault_rate,
        fault_delay=fault_delay,
        max_page_size=max_page_size,
        bulk_max_operations=bulk_max_operations,
    )
    server = _listen((host, port), net, token, knobs, seed)
    stop = threading.Event()
    threads = [
        threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="speakap-simulator",
        )
    ]
    if data is not None:
        threads.append(
            threading.Thread(
                target=_saver,
                args=(net, data, stop, save_interval),
                daemon=True,
                name="speakap-simulator-saver",
            )
        )
    for thread in threads:
        thread.start()
    try:
        yield SimulatorHandle(server=server, token=token, data=data)
    finally:
        stop.set()
        server.shutdown()
        server.server_close()
        for thread in threads:
            thread.join(timeout=5)
        if data is not None:
            net.save(data)


def _listen(
    address: tuple[str, int], net: Network, token: str, knobs: Knobs, seed: int | None
) -> SimulatorServer:
    """The server bound to ``address``; a port it cannot have is one error saying what to do."""
    host, port = address
    other = "choose another port (0: any free one)"
    try:
        return SimulatorServer(address, net, token, knobs, seed=seed)
    except OSError as err:
        if err.errno == errno.EADDRINUSE:
            why = f"the port is in use (another simulator?); stop what holds it, or {other}"
        elif err.errno == errno.EACCES:
            why = f"permission denied (ports below 1024 need privileges); {other}"
        else:
            why = f"{err.strerror or type(err).__name__}; {other}"
    except OverflowError:  # socket.bind's answer to a port past 65535
        why = f"not a port number; {other}"
    raise SyncError(f"the simulator cannot listen on {host}:{port}: {why}")


def _saver(network: Network, path: Path, stop: threading.Event, interval: float) -> None:
    last = network.changes
    while not stop.wait(interval):
        last = save_if_changed(network, path, last)
