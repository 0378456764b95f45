"""Builders for desired and live states used across the reconciler tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from reconciler.model import (
    DesiredState,
    LiveGroup,
    LiveSnapshot,
    LiveUser,
    OrgUnit,
    Person,
    Policy,
    Thresholds,
)
from reconciler.reconcile.plan import Plan, compute_plan
from tests.scim2_peer import scim2_server

if TYPE_CHECKING:
    from reconciler.speakap.simulator import SimulatorHandle
    from tests.reconcile.world import World

UNITS = (
    OrgUnit(key="store-01", kind="business_unit", name="Store 01"),
    OrgUnit(key="store-02", kind="business_unit", name="Store 02"),
    OrgUnit(key="sales", kind="department", name="Sales"),
    OrgUnit(key="logistics", kind="department", name="Logistics"),
    OrgUnit(key="news", kind="group", name="News", visibility="public"),
)


def person(eid: str, unit: str = "store-01", dept: str = "sales", **kw: object) -> Person:
    values: dict[str, object] = {
        "given_name": f"Given{eid}",
        "family_name": f"Family{eid}",
        "email": f"{eid.lower()}@example.com",
        "job_title": "Clerk",
        "business_unit": unit,
        "department": dept,
        "memberships": tuple(sorted({unit, dept})),
    }
    values.update(kw)
    if values.get("status") == "suspended":  # a valid state has both, as render writes them
        values.setdefault("suspended_on", date(2026, 3, 1))
    return Person(employee_id=eid, **values)  # type: ignore[arg-type]


def desired(*people: Person, policy: Policy | None = None) -> DesiredState:
    return DesiredState(org_units=UNITS, people=tuple(people), policy=policy or Policy())


def live_user_for(p: Person, uid: str | None = None, **kw: object) -> LiveUser:
    values: dict[str, object] = {
        "id": uid or f"u-{p.employee_id}",
        "employee_id": p.employee_id,
        "user_name": p.email or p.employee_id,
        "managed": True,
        **p.profile(),
    }
    values.update(kw)
    return LiveUser(**values)  # type: ignore[arg-type]


def live(
    users: list[LiveUser],
    memberships: dict[str, set[str]] | None = None,
    *,
    names: dict[str, str] | None = None,
    extra_groups: tuple[LiveGroup, ...] = (),
) -> LiveSnapshot:
    """``memberships``: org key -> live user ids. Every desired org unit exists live, as
    declared, unless ``names`` (org key -> live name) says it was renamed since."""
    memberships = memberships or {}
    names = names or {}
    groups = tuple(
        LiveGroup(
            id=f"g-{u.key}",
            key=u.key,
            name=names.get(u.key, u.name),
            kind=u.kind,
            parent_key=u.parent,
            visibility=u.visibility,
            members=frozenset(memberships.get(u.key, set())),
        )
        for u in UNITS
    )
    return LiveSnapshot(users=tuple(users), groups=groups + extra_groups)


def live_as_desired(state: DesiredState, extra: list[LiveUser] | None = None) -> LiveSnapshot:
    """A live network that matches ``state`` exactly (every person managed)."""
    users = [live_user_for(p, active=p.status == "active") for p in state.people]
    memberships: dict[str, set[str]] = {}
    for p in state.people:
        for key in p.memberships:
            memberships.setdefault(key, set()).add(f"u-{p.employee_id}")
    return live(users + (extra or []), memberships)


def a_day_of_changes() -> Plan:
    """E1 moves to store-02 and gets a phone, E2 is promoted, E3 (suspended) is deleted, E4
    joins with an email invite: 8 actions over two business units."""
    before = desired(person("E1"), person("E2"), person("E3", status="suspended"))
    after = desired(
        person("E1", unit="store-02", phone="+31612345678"),
        person("E2", job_title="Manager"),
        person("E4", email="new.hire@example.com", invite_channel="email"),
    )
    return compute_plan(after, live_as_desired(before), before)


SMALL_GUARDS = Policy(
    thresholds=Thresholds(max_offboard_percent=10, max_update_percent=30, min_managed=10)
)


# -- live worlds (end-to-end scenarios) ---------------------------------------------------------


SCIM2_TOKEN = "scenario-scim2-token"


@pytest.fixture(scope="session")
def scim2_server_root() -> Iterator[str]:
    """scim2-server (a third-party SCIM server) with dynamic tenants; yields its root URL."""
    with scim2_server(SCIM2_TOKEN) as root:
        yield root


@pytest.fixture(params=["simulator", "scim2-server"])
def world(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    import uuid

    from reconciler.speakap.simulator import run_simulator
    from tests.reconcile.world import World

    monkeypatch.delenv("SPEAKAP_TOKEN_FILE", raising=False)
    if request.param == "scim2-server":
        root = request.getfixturevalue("scim2_server_root")
        url = f"{root}/t{uuid.uuid4().hex[:12]}/v2"
        monkeypatch.setenv("SPEAKAP_URL", url)
        monkeypatch.setenv("SPEAKAP_TOKEN", SCIM2_TOKEN)
        peer = World(tmp_path, url, SCIM2_TOKEN, dialect="memberships_from: group_members")
        yield peer
        peer.client.close()
        return
    with run_simulator(token="scenario-token") as sim:
        monkeypatch.setenv("SPEAKAP_URL", sim.url)
        monkeypatch.setenv("SPEAKAP_TOKEN", sim.token)
        live_world = World(tmp_path, sim.url, sim.token)
        yield live_world
        live_world.client.close()


@pytest.fixture
def sim_world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[World, SimulatorHandle]]:
    """A world on the embedded simulator, with the simulator at hand for its knobs."""
    from reconciler.speakap.simulator import run_simulator
    from tests.reconcile.world import World

    monkeypatch.delenv("SPEAKAP_TOKEN_FILE", raising=False)
    with run_simulator(token="sim-world-token") as sim:
        monkeypatch.setenv("SPEAKAP_URL", sim.url)
        monkeypatch.setenv("SPEAKAP_TOKEN", sim.token)
        world = World(tmp_path, sim.url, sim.token)
        yield world, sim
        world.client.close()
