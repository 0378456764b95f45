"""Property test through the real simulator: random sequences of desired states, applied by
``apply_plan`` over SCIM, with an admin's hand-made changes in between, always converge and
never touch what the sync does not manage."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.model import DesiredState, Person, Policy, Thresholds
from reconciler.reconcile.apply import apply_plan
from reconciler.reconcile.journal import Journal
from reconciler.reconcile.plan import compute_plan
from reconciler.speakap.client import ScimClient, Secret
from reconciler.speakap.settings import ConnectionSettings, open_backend
from reconciler.speakap.simulator import run_simulator
from tests.reconcile.conftest import UNITS, desired, person

KEYS = [u.key for u in UNITS]
EIDS = [f"E{i}" for i in range(6)]
NO_GUARDS = Thresholds(max_offboard_percent=100, max_update_percent=100, min_managed=0)
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"


@st.composite
def day(draw: st.DrawFn) -> tuple[Person, ...]:
    chosen = draw(st.lists(st.sampled_from(EIDS), unique=True, min_size=1))
    return tuple(
        person(
            eid,
            memberships=tuple(sorted(draw(st.frozensets(st.sampled_from(KEYS), max_size=3)))),
            job_title=draw(st.sampled_from(["Clerk", "Manager"])),
            status=draw(st.sampled_from(["active", "active", "suspended"])),
        )
        for eid in sorted(chosen)
    )


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    days=st.lists(day(), min_size=2, max_size=3),
    offboarding=st.sampled_from(["delete", "anonymize"]),
    manual_key=st.sampled_from(KEYS),
)
def test_random_days_converge_on_the_simulator_and_leave_hand_made_things_alone(
    days: list[tuple[Person, ...]], offboarding: str, manual_key: str
) -> None:
    policy = Policy(offboarding=offboarding, thresholds=NO_GUARDS)  # type: ignore[arg-type]
    with run_simulator(token="prop") as sim, tempfile.TemporaryDirectory() as tmp:
        backend = open_backend(
            ConnectionSettings(base_url=sim.url, token=Secret("prop"), rate_limit=None)
        )
        admin_client = ScimClient(sim.url, Secret("prop"))
        admin = admin_client.create(
            "/Users", {"schemas": [USER_SCHEMA], "userName": "admin", "active": True}
        )
        last: DesiredState | None = None
        manual: tuple[str, str] | None = None
        for n, people in enumerate(days):
            want = desired(*people, policy=policy)
            plan = compute_plan(want, backend.fetch_snapshot(), last)
            with Journal(Path(tmp) / f"{n}.jsonl") as journal:
                summary = apply_plan(plan, backend, want, journal)
            assert summary.ok, summary.failures
            live = backend.fetch_snapshot()
            again = compute_plan(want, live, want)
            assert again.actions == (), [a.id for a in again.actions]
            users = {u.id: u for u in live.users}
            assert users[admin["id"]].managed is False and users[admin["id"]].employee_id is None
            groups = {g.key: g for g in live.groups}
            if manual is not None and manual[0] in users:
                assert manual[0] in groups[manual[1]].members, "a hand-made membership was lost"
            manual = None
            # the admin adds a managed person to a group by hand (and themselves, too)
            candidates = [u for u in live.users if u.managed and u.active]
            target = candidates[0] if candidates else users[admin["id"]]
            group = groups[manual_key]
            if target.id not in group.members and (
                target.employee_id is None
                or manual_key not in want.people_by_id()[str(target.employee_id)].memberships
            ):
                admin_client.patch(
                    "/Groups",
                    group.id,
                    [{"op": "add", "path": "members", "value": [{"value": target.id}]}],
                )
                manual = (target.id, manual_key)
                # a membership of someone who stays in the next day must survive it
                if target.employee_id is not None and n + 1 < len(days):
                    nxt = {p.employee_id: p for p in days[n + 1]}
                    if target.employee_id not in nxt:
                        manual = None
            last = want
        admin_client.close()
        backend.close()
