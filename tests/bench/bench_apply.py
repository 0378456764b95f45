"""Benchmark: ``speakap-sync apply`` against the simulator, paced by a rate limit.

1. 1,000 changes (250 hires with 2 memberships each, 125 transfers) at 50 requests/s
   (server-side limit, 429 beyond it) and 20 ms latency per request, without Bulk: the apply
   is bound by the rate limit, so the target is a wall time within 1.15x of requests / 50 s
   (the requests counted by the simulator during the apply, reads included);
2. the same 1,000 changes against a simulator that announces SCIM Bulk (maxOperations 1,000).
   Three Bulk requests carry the changes, so the rate limit no longer bounds the run: besides
   requests / 50 the line gives the server's own time (the simulator's busy time: the wall
   time with a request being served, its 20 ms latency included), apply's own time (the rest),
   time / (requests/50 + server time) and the stricter time / max(requests/50, server time);
3. a day 0 of 20,000 people (``BENCH_DAY0_PEOPLE``), at the default 20 requests/s: without
   Bulk unpaced (its rate-limit bound, requests / 20 s, is printed: pacing it would take that
   long), with Bulk paced.

    python -m tests.bench apply
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from reconciler.model import Person
from reconciler.speakap.simulator import SimulatorHandle, run_simulator
from tests.bench.bench_plan import quiet
from tests.reconcile.conftest import person
from tests.reconcile.world import World

RATE = 50.0
LATENCY = 0.02
DEFAULT_RATE = 20.0  # speakap.yaml's default rate_limit
DAY0 = int(os.environ.get("BENCH_DAY0_PEOPLE", "20000"))
BULK_OPERATIONS = 1000


def staff(n: int, start: int = 0, unit: str = "store-01") -> list[Person]:
    return [person(f"E{i:05}", unit=unit) for i in range(start, start + n)]


@dataclass
class Run:
    users: int
    actions: int
    code: int
    requests: int
    bulk_requests: int
    throttled: int
    seconds: float
    converged: bool
    server: float = 0.0  # the simulator's busy time during the apply
    latency: float = 0.0  # of that, the latency knob's sleeps

    @property
    def client(self) -> float:
        """Apply's own time: the wall time while the server was serving no request."""
        return self.seconds - self.server

    def split(self, rate: float) -> str:
        """The run's time against what the rate limit and the server allow."""
        bound = self.requests / rate
        return (
            f"requests/{rate:.0f} = {bound:.2f} s, server {self.server:.2f} s "
            f"({self.latency:.2f} s of it latency), apply's own {self.client:.2f} s; "
            f"time / (requests/{rate:.0f} + server) = {self.seconds / (bound + self.server):.2f}, "
            f"time / max(requests/{rate:.0f}, server) = "
            f"{self.seconds / max(bound, self.server):.2f}"
        )


def paced(world: World, rate: float | None) -> None:
    limit = rate if rate else 0
    (world.state / "speakap.yaml").write_text(
        f"rate_limit: {limit}\nconcurrency: 8\n"
        "retries:\n  attempts: 8\n  base_delay: 0.05\n  max_delay: 1\n"
    )
    world.repo.git.add("-A", ".")
    world.repo.index.commit(f"client paced at {rate} requests/s")


def measure(world: World, sim: SimulatorHandle, wanted: list[Person], rate: float | None) -> Run:
    """Plan ``wanted`` (committed), then time the apply with the simulator paced at ``rate``."""
    assert world.plan() == 2
    actions = len(world.plan_json()["actions"])
    sim.knobs.latency = LATENCY
    sim.knobs.rate_limit = rate
    before, throttled = sim.counters.requests, sim.counters.throttled
    bulk_before = sim.counters.by_path.get("/Bulk", 0)
    busy, slept = sim.counters.busy_seconds, sim.counters.latency_seconds
    start = time.perf_counter()
    code = world.apply("--output", "json")
    seconds = time.perf_counter() - start
    busy, slept = sim.counters.busy_seconds - busy, sim.counters.latency_seconds - slept
    requests = sim.counters.requests - before
    bulk_requests = sim.counters.by_path.get("/Bulk", 0) - bulk_before
    sim.knobs.rate_limit = None
    sim.knobs.latency = 0.0
    converged = world.plan() == 0
    return Run(
        len(wanted),
        actions,
        code,
        requests,
        bulk_requests,
        sim.counters.throttled - throttled,
        seconds,
        converged,
        busy,
        slept,
    )


def thousand_changes(bulk: int) -> Run:
    with tempfile.TemporaryDirectory() as tmp, run_simulator(token="bench") as sim:
        os.environ["SPEAKAP_URL"] = sim.url
        os.environ["SPEAKAP_TOKEN"] = "bench"
        world = World(Path(tmp), sim.url, "bench")
        with quiet():  # the commands' plan views and JSON summary: only figures are printed
            world.sync(staff(125), "day 0")  # unthrottled setup
            # 250 hires (create + 2 memberships each) and 125 transfers (add + remove): 1,000
            wanted = staff(125, unit="store-02") + staff(250, start=125)
            world.commit(wanted, "day 1")
            paced(world, RATE)
            sim.knobs.bulk_max_operations = bulk
            return measure(world, sim, wanted, RATE)


def day_zero(people: int, bulk: int, rate: float | None) -> Run:
    with tempfile.TemporaryDirectory() as tmp, run_simulator(token="bench") as sim:
        os.environ["SPEAKAP_URL"] = sim.url
        os.environ["SPEAKAP_TOKEN"] = "bench"
        world = World(Path(tmp), sim.url, "bench")
        wanted = [person(f"E{i:06}", unit=f"store-0{1 + i % 2}") for i in range(people)]
        with quiet():
            world.commit(wanted, "day 0")
            paced(world, rate)
            sim.knobs.bulk_max_operations = bulk
            return measure(world, sim, wanted, rate)


def main() -> None:
    plain = thousand_changes(bulk=0)
    ideal = plain.requests / RATE
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"apply: {plain.users} users, {plain.actions} actions, exit {plain.code}, "
        f"{plain.requests} requests ({plain.throttled} answered 429), {plain.seconds:.2f} s; "
        f"requests/50 = {ideal:.2f} s, ratio {plain.seconds / ideal:.3f} (target <= 1.15); "
        f"server {plain.server:.2f} s; converged {plain.converged}; peak RSS {peak:.0f} MiB",
        flush=True,
    )
    bulk = thousand_changes(bulk=BULK_OPERATIONS)
    target = bulk.requests <= 60 and bulk.converged
    print(
        f"apply (Bulk, maxOperations {BULK_OPERATIONS}): {bulk.users} users, {bulk.actions} "
        f"actions, exit {bulk.code}, {bulk.requests} requests ({bulk.bulk_requests} Bulk, "
        f"{bulk.throttled} answered 429), {bulk.seconds:.2f} s; {bulk.split(RATE)}; "
        f"converged {bulk.converged}; <= 60 requests and converged: {target}; "
        f"{plain.requests / max(1, bulk.requests):.0f}x fewer requests, "
        f"{plain.seconds / bulk.seconds:.1f}x faster than without Bulk",
        flush=True,
    )
    unpaced = day_zero(DAY0, bulk=0, rate=None)
    bound = unpaced.requests / DEFAULT_RATE
    print(
        f"apply day 0 without Bulk: {unpaced.users} people, {unpaced.actions} actions, exit "
        f"{unpaced.code}, {unpaced.requests} requests, {unpaced.seconds:.1f} s unpaced; at "
        f"{DEFAULT_RATE:.0f} requests/s the rate limit alone takes {bound:.0f} s "
        f"({bound / 60:.1f} min); server {unpaced.server:.1f} s, apply's own "
        f"{unpaced.client:.1f} s; converged {unpaced.converged}",
        flush=True,
    )
    day0 = day_zero(DAY0, bulk=BULK_OPERATIONS, rate=DEFAULT_RATE)
    print(
        f"apply day 0 with Bulk (maxOperations {BULK_OPERATIONS}): {day0.users} people, "
        f"{day0.actions} actions, exit {day0.code}, {day0.requests} requests "
        f"({day0.bulk_requests} Bulk), {day0.seconds:.1f} s at {DEFAULT_RATE:.0f} requests/s; "
        f"{day0.split(DEFAULT_RATE)}; converged {day0.converged}; "
        f"{bound / day0.seconds:.0f}x faster than the rate-limit bound without Bulk",
        flush=True,
    )


if __name__ == "__main__":
    main()
