"""Benchmark: fetch a live snapshot of 100,000 users and 2,500 groups from the simulator.

The simulator runs in its own process (``speakap-sync simulator``) with 20 ms latency per
request, so its work does not share this process's GIL. Target: requests = pages (no request
per user) and at most 10 s. ``BENCH_FETCH_USERS`` scales it down for a quick look.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import ScimClient, Secret

USERS = int(os.environ.get("BENCH_FETCH_USERS", "100000"))
GROUPS = 2500
PAGE = 1000
LATENCY = 0.02
TOKEN = "bench-token"
BAG = "urn:speakap:params:scim:bag"
GROUP_EXT = "urn:speakap:params:scim:schemas:extension:group:2.0:Group"
USER_SCHEMAS = ["urn:ietf:params:scim:schemas:core:2.0:User", BAG]


def _group_of(n: int) -> list[int]:
    """Each user: a business unit (of 2,000), a department (of 100), every third a group."""
    groups = [n % 2000, 2000 + n % 100]
    if n % 3 == 0:
        groups.append(2100 + n % 400)
    return groups


def write_seed(path: Path) -> int:
    """Stream a seed network to ``path``; returns the number of memberships."""
    members: list[list[str]] = [[] for _ in range(GROUPS)]
    with path.open("w", encoding="utf-8") as out:
        out.write('{"network": {"name": "bench"}, "users": [')
        for n in range(USERS):
            user = {
                "id": f"u{n}",
                "schemas": USER_SCHEMAS,
                "userName": f"employee{n}@versmarkt.example",
                "externalId": f"{n:07d}",
                "name": {"givenName": f"Given{n}", "familyName": f"Family{n}"},
                "displayName": f"Given{n} Family{n}",
                "emails": [{"value": f"employee{n}@versmarkt.example", "primary": True}],
                "phoneNumbers": [{"value": f"+316{n:08d}", "type": "mobile"}],
                "title": "Cashier",
                "preferredLanguage": "nl",
                "active": True,
                BAG: {"login": f"employee{n}@versmarkt.example", "managedBy": "speakap-sync"},
            }
            out.write(("," if n else "") + json.dumps(user))
            for g in _group_of(n):
                members[g].append(f"u{n}")
        out.write('], "groups": [')
        for g in range(GROUPS):
            kind = "business_unit" if g < 2000 else "department" if g < 2100 else "group"
            group = {
                "id": f"g{g}",
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", GROUP_EXT],
                "externalId": f"unit-{g}",
                "displayName": f"Unit {g}",
                GROUP_EXT: {"kind": kind},
                "members": [{"value": m} for m in members[g]],
            }
            out.write(("," if g else "") + json.dumps(group))
        out.write("]}")
    return sum(len(m) for m in members)


def start_simulator(data: Path) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "SPEAKAP_TOKEN": TOKEN}
    command = [
        sys.executable, "-m", "reconciler", "simulator", "--port", "0", "--data", str(data),
        "--latency", str(LATENCY), "--max-page-size", str(PAGE),
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    line = process.stdout.readline()
    if " on " not in line:
        process.kill()
        raise SystemExit(f"the simulator did not start: {line!r}")
    return process, line.split(" on ")[1].split(" ")[0]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "network.json"
        memberships = write_seed(data)
        started = time.monotonic()
        process, url = start_simulator(data)
        loaded = time.monotonic() - started
        print(f"simulator: {USERS:,} users, {GROUPS:,} groups, {memberships:,} memberships, "
              f"loaded in {loaded:.1f} s, {LATENCY * 1000:.0f} ms latency")  # fmt: skip
        try:
            client = ScimClient(url, Secret(TOKEN), page_size=PAGE, concurrency=8, timeout=60)
            backend = ScimBackend(client)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            started = time.monotonic()
            snapshot = backend.fetch_snapshot()
            seconds = time.monotonic() - started
            rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            backend.close()
        finally:
            process.terminate()
            process.wait(timeout=60)
    pages = math.ceil(USERS / PAGE) + math.ceil(GROUPS / PAGE)
    fetched_members = sum(len(g.members) for g in snapshot.groups)
    print(f"fetched: {len(snapshot.users):,} users, {len(snapshot.groups):,} groups, "
          f"{fetched_members:,} memberships")  # fmt: skip
    print(f"seconds: {seconds:.2f} (target <= 10)")
    print(f"requests: {client.stats.requests} (pages: {pages}; retries {client.stats.retries})")
    print(f"peak memory: {rss_peak / 1024:.0f} MiB RSS ({(rss_peak - rss_before) / 1024:.0f} MiB "
          "for the fetch)")  # fmt: skip
    ok = (
        len(snapshot.users) == USERS
        and len(snapshot.groups) == GROUPS
        and fetched_members == memberships
        and client.stats.requests == pages
        and seconds <= 10
    )
    print("result: " + ("OK" if ok else "MISSED TARGET"))


if __name__ == "__main__":
    main()
