"""Apply progress: one bar per phase whose total is the whole phase, even when a phase runs in
waves (org units parents first), so a reviewer watching apply never sees it count past or back."""

from __future__ import annotations

from pathlib import Path

from reconciler.model import DesiredState, LiveSnapshot, OrgUnit, Policy
from reconciler.reconcile.apply import apply_plan
from reconciler.reconcile.journal import Journal
from reconciler.reconcile.plan import compute_plan
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import ScimClient, Secret
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.simulator import run_simulator


def test_org_units_created_in_waves_report_one_phase_total(tmp_path: Path) -> None:
    regions = [OrgUnit(key=f"region-{r}", kind="business_unit", name=f"Region {r}") for r in "ab"]
    stores = [
        OrgUnit(
            key=f"store-{r}{n}", kind="business_unit", name=f"Store {r}{n}", parent=f"region-{r}"
        )
        for r in "ab"
        for n in range(3)
    ]
    desired = DesiredState(org_units=tuple(regions + stores), people=(), policy=Policy())
    plan = compute_plan(desired, LiveSnapshot(users=(), groups=()), None)
    assert sum(a.kind == "create_org_unit" for a in plan.actions) == 8

    calls: list[tuple[str, int, int]] = []
    with run_simulator(token="t") as sim:
        backend = ScimBackend(ScimClient(sim.url, Secret(sim.token)), Dialect())
        with Journal(tmp_path / "journal.jsonl") as journal:
            summary = apply_plan(
                plan, backend, desired, journal, progress=lambda *c: calls.append(c)
            )
    assert summary.ok
    phases = {phase for phase, _, _ in calls}
    assert len(phases) == 1
    assert {total for _, _, total in calls} == {8}
    finished = [done for _, done, _ in calls]
    assert finished == sorted(finished) and finished[-1] == 8
