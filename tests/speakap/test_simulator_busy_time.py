"""The simulator's busy time is the wall time with a SCIM request being served: its latency
included, concurrent requests counted once, inspection requests not at all."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx

from reconciler.speakap.client import ScimClient, Secret
from reconciler.speakap.simulator import run_simulator
from tests.speakap.conftest import FAST_RETRY, TOKEN


def test_busy_time_holds_each_requests_latency_and_overlaps_count_once() -> None:
    with run_simulator(token=TOKEN, latency=0.05) as sim:
        client = ScimClient(sim.url, Secret(TOKEN), concurrency=4, retry=FAST_RETRY)
        started = time.perf_counter()
        for _ in range(3):
            client.page("/Users", count=1)
        serial = time.perf_counter() - started
        assert 0.15 <= sim.counters.busy_seconds <= serial
        assert abs(sim.counters.latency_seconds - 0.15) < 1e-9
        before = sim.counters.busy_seconds
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: client.page("/Users", count=1), range(4)))
        together = sim.counters.busy_seconds - before
        assert 0.05 <= together < 0.2  # four requests of 50 ms at once: not 0.2 s
        assert abs(sim.counters.latency_seconds - 0.35) < 1e-9
        stats = httpx.get(
            sim.url.removesuffix("/scim/v2") + "/_sim/stats",
            headers={"Authorization": f"Bearer {TOKEN}"},
        ).json()
        assert stats["busy_seconds"] == sim.counters.busy_seconds  # not busier for asking
