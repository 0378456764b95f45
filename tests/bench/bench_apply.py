"""Benchmark: ``speakap-sync apply`` of 1,000 changes against the simulator at 50 requests/s
(server-side limit, 429 beyond it) and 20 ms latency per request.

The apply is bound by the rate limit, so the target is a wall time within 1.15x of
requests / 50 s (the requests counted by the simulator during the apply, reads included).

    python -m tests.bench apply
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path

from reconciler.model import Person
from reconciler.speakap.simulator import run_simulator
from tests.bench.bench_plan import quiet
from tests.reconcile.conftest import person
from tests.reconcile.world import World

RATE = 50.0
LATENCY = 0.02


def staff(n: int, start: int = 0, unit: str = "store-01") -> list[Person]:
    return [person(f"E{i:05}", unit=unit) for i in range(start, start + n)]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, run_simulator(token="bench") as sim:
        os.environ["SPEAKAP_URL"] = sim.url
        os.environ["SPEAKAP_TOKEN"] = "bench"
        world = World(Path(tmp), sim.url, "bench")
        with quiet():  # the commands' plan views and JSON summary: only figures are printed
            world.sync(staff(125), "day 0")  # unthrottled setup
            # 250 hires (create + 2 memberships each) and 125 transfers (add + remove): 1,000
            wanted = staff(125, unit="store-02") + staff(250, start=125)
            world.commit(wanted, "day 1")
            (world.state / "speakap.yaml").write_text(
                f"rate_limit: {RATE}\nconcurrency: 8\n"
                "retries:\n  attempts: 8\n  base_delay: 0.05\n  max_delay: 1\n"
            )
            world.repo.git.add("-A", ".")
            world.repo.index.commit("client paced at 50 requests/s")
            assert world.plan() == 2
            actions = len(world.plan_json()["actions"])
            sim.knobs.latency = LATENCY
            sim.knobs.rate_limit = RATE
            before, throttled = sim.counters.requests, sim.counters.throttled
            start = time.perf_counter()
            code = world.apply("--output", "json")
            elapsed = time.perf_counter() - start
            requests = sim.counters.requests - before
            ideal = requests / RATE
            sim.knobs.rate_limit = None
            sim.knobs.latency = 0.0
            converged = world.plan() == 0
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(
            f"apply: {len(wanted)} users, {actions} actions, exit {code}, {requests} requests "
            f"({sim.counters.throttled - throttled} answered 429), {elapsed:.2f} s; "
            f"requests/50 = {ideal:.2f} s, ratio {elapsed / ideal:.3f} (target <= 1.15); "
            f"converged {converged}; peak RSS {peak:.0f} MiB"
        )


if __name__ == "__main__":
    main()
