"""Benchmark: ``speakap-sync plan`` for 100,000 desired people against 100,000 live users.

End to end, as CI runs it: read the sharded desired state, fetch the live network from the
simulator (running in its own process, seeded from a file), read the last-applied state from
a git tag, compute the plan (1% churn: hires, leavers, transfers, updates), write plan.json
and the human views. Targets on the 2-core machine: <= 20 s, and <= 3x ``read_state`` of the
same people (``bench_render`` prints it). The simulator's CPU time while serving the plan is
printed too: it shares the 2 cores with the plan, as a real Speakap does not. Then each human
view (plan.md, step-summary.md, plan.html) is written again on its own and timed, with its
size, and plan.html is opened in headless Chromium.

    python -m tests.bench plan            # 100,000 people
    BENCH_PEOPLE=20000 python -m tests.bench plan
"""

from __future__ import annotations

import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import replace
from pathlib import Path

import git

from reconciler.cli import run
from reconciler.desired.state import write_state
from reconciler.model import OrgUnit, Person
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.mapping import group_body, user_body

TOKEN = "bench-token"
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def quiet() -> Iterator[None]:
    """Hold back what the commands print (plan views, JSON summaries): a benchmark prints only
    its figures. What was held back is shown if the block fails."""
    out = io.StringIO()
    try:
        with redirect_stdout(out), redirect_stderr(out):
            yield
    except BaseException:
        sys.stderr.write(out.getvalue())
        raise


def org_units(stores: int) -> list[OrgUnit]:
    units = [
        OrgUnit(key=f"store-{i:03}", kind="business_unit", name=f"Store {i}") for i in range(stores)
    ]
    units += [
        OrgUnit(key=d, kind="department", name=d.title())
        for d in ("sales", "logistics", "fresh", "office")
    ]
    return units


def people(n: int, stores: int) -> list[Person]:
    depts = ("sales", "logistics", "fresh", "office")
    out = []
    for i in range(n):
        unit, dept = f"store-{i % stores:03}", depts[i % 4]
        out.append(Person(
            employee_id=f"{100000 + i}", given_name=f"Given{i}", family_name=f"Family{i}",
            email=f"p{i}@example.com", job_title="Clerk", business_unit=unit, department=dept,
            memberships=tuple(sorted((unit, dept))),
        ))  # fmt: skip
    return out


def org_units_yaml(units: list[OrgUnit]) -> str:
    lines = ["org_units:"]
    for u in units:
        lines += [f"  - key: {u.key}", f"    kind: {u.kind}", f'    name: "{u.name}"']
    return "\n".join(lines) + "\n"


def seed(applied: list[Person], units: list[OrgUnit], path: Path) -> None:
    dialect = Dialect()
    users = []
    members: dict[str, list[dict[str, str]]] = {u.key: [] for u in units}
    for p in applied:
        body = user_body(p, dialect)
        body["id"] = f"u{p.employee_id}"
        users.append(body)
        for key in p.memberships:
            members[key].append({"value": body["id"]})
    groups = []
    for u in units:
        body = group_body(u, dialect)
        body["id"] = f"g-{u.key}"
        body["members"] = members[u.key]
        groups.append(body)
    path.write_text(json.dumps({"users": users, "groups": groups}))


def churn(applied: list[Person], n: int, stores: int) -> list[Person]:
    """1% churn: 0.3% hires, 0.3% leavers, 0.2% transfers, 0.2% profile updates."""
    out = []
    for i, p in enumerate(applied):
        if i % 1000 in (1, 4, 7):  # leavers (0.3%)
            continue
        if i % 1000 in (2, 5):  # transfers (0.2%)
            unit = f"store-{(i + 1) % stores:03}"
            p = replace(p, business_unit=unit, memberships=tuple(sorted((unit, str(p.department)))))
        elif i % 1000 in (3, 6):  # updates (0.2%)
            p = replace(p, job_title="Manager")
        out.append(p)
    hires = people(n + n * 3 // 1000, stores)[n:]
    return out + hires


def main() -> None:
    n = int(os.environ.get("BENCH_PEOPLE", "100000"))
    stores = 300
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        units = org_units(stores)
        applied = people(n, stores)
        t = time.perf_counter()
        repo = git.Repo.init(root / "repo")
        state = root / "repo" / "desired-state"
        state.mkdir(parents=True)
        (state / "org-units.yaml").write_text(org_units_yaml(units))
        (state / "policy.yaml").write_text("thresholds:\n  max_offboard_percent: 10\n")
        (state / "speakap.yaml").write_text("rate_limit: 0\nconcurrency: 4\n")
        write_state(state, applied, 256)
        repo.git.add("-A", ".")
        repo.index.commit("applied")
        repo.create_tag("speakap-sync/last-applied")
        wanted = churn(applied, n, stores)
        write_state(state, wanted, 256)
        repo.git.add("-A", ".")
        repo.index.commit("today")
        seed(applied, units, root / "network.json")
        print(f"setup: {n} people, {time.perf_counter() - t:.1f} s", flush=True)

        env = {**os.environ, "SPEAKAP_TOKEN": TOKEN}
        sim = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "simulator", "--port", "0",
             "--data", str(root / "network.json")],
            env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            assert sim.stdout is not None
            url = sim.stdout.readline().split(" on ", 1)[1].split()[0]
            os.environ["SPEAKAP_URL"] = url
            os.environ["SPEAKAP_TOKEN"] = TOKEN
            argv = ["plan", "--state-dir", str(state), "--out", str(root / "out")]
            argv += ["--detailed-exitcode", "--allow-mass-changes"]
            before = cpu_seconds(sim.pid)
            with quiet():
                start = time.perf_counter()
                code = run(argv)
                elapsed = time.perf_counter() - start
            after = cpu_seconds(sim.pid)
            served = after - before if after is not None and before is not None else None
        finally:
            sim.terminate()
            sim.wait()
        plan = json.loads((root / "out" / "plan.json").read_text())
        md = (root / "out" / "plan.md").read_text()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        counts = {k: v for k, v in plan["counts"].items() if v}
        print(
            f"plan: {n} desired vs {n} live, exit {code}, {len(plan['actions'])} actions {counts}",
            flush=True,
        )
        print(
            f"plan: {elapsed:.2f} s end to end (target <= 20 s), plan.md {len(md)} chars, "
            f"peak RSS {peak:.0f} MiB"
        )
        if served is not None:
            print(f"plan: the simulator used {served:.2f} s of CPU serving it (same 2 cores)")
        views(root / "out", state, applied)


def cpu_seconds(pid: int) -> float | None:
    """The CPU time (user + system) a process has used so far; None where /proc is not."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def views(out: Path, state: Path, applied: list[Person]) -> None:
    """The human views of the plan just made, each written again and timed on its own: sizes,
    write times, and plan.html opened in headless Chromium (when installed)."""
    from reconciler.desired.state import read_state
    from reconciler.reconcile.plan_json import read_plan
    from reconciler.reconcile.views import PlanHtml, PlanMarkdown, ViewOptions, names_of
    from reconciler.reconcile.views.markdown import step_summary

    desired = read_state(state)
    plan = read_plan(out / "plan.json")
    options = ViewOptions(
        names=names_of([*applied, *desired.people]),
        org_names={u.key: u.name for u in desired.org_units},
    )
    for output in (PlanMarkdown(out), step_summary(out), PlanHtml(out)):
        start = time.perf_counter()
        output.write(plan, options)
        took = time.perf_counter() - start
        text = output.path.read_text(encoding="utf-8")
        print(
            f"views: {output.path.name} {len(text):,} chars, {len(text.encode()):,} bytes, "
            f"written in {took:.2f} s",
            flush=True,
        )
    opened = open_in_chromium(out / "plan.html")
    if opened is not None:
        print(f"views: plan.html opened and drawn in headless Chromium in {opened:.2f} s")


def open_in_chromium(page: Path) -> float | None:
    """Seconds from navigating to ``page`` to its script's first draw, as the page measures it
    (``data-drawn-ms``: parsing the page and its data, drawing the units); None without
    Chromium or when the script did not draw."""
    import re
    import shutil

    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("views: chromium is not installed, plan.html was not opened")
        return None
    with tempfile.TemporaryDirectory() as profile:
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
        flags += ["--disable-background-networking", "--disable-component-update"]
        flags += ["--disable-sync", f"--user-data-dir={profile}", "--dump-dom"]
        run = subprocess.run([browser, *flags, page.as_uri()], capture_output=True, text=True)
    drawn = re.search(r'data-drawn-ms="(\d+)"', run.stdout)
    if drawn is None:
        print("views: plan.html did not draw in Chromium")
        return None
    return int(drawn.group(1)) / 1000
