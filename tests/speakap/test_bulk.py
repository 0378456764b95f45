"""SCIM Bulk (RFC 7644 3.7): the simulator serves it within the limits it announces, and the
backend sends many changes in one request when the server announces it, with a result per
action from its operation's status; a failed operation is retried alone, an uncertain create
is looked up first, and without Bulk nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from reconciler.model import Action, OrgUnit, Person
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import BulkLimits, ScimClient, Secret
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.simulator import SimulatorHandle, run_simulator
from tests.speakap.conftest import FAST_RETRY, TOKEN, Peer

BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
UNITS = {"store-01": OrgUnit("store-01", "business_unit", "Store 01")}


@pytest.fixture
def bulk_simulator() -> Iterator[SimulatorHandle]:
    with run_simulator(token=TOKEN, bulk_max_operations=50) as sim:
        yield sim


def post(sim: SimulatorHandle, path: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
    return httpx.post(sim.url + path, json=body, headers=headers, timeout=10)


def person(n: int, channel: str = "email") -> Person:
    return Person(
        employee_id=f"E{n:03}",
        given_name=f"Given{n}",
        family_name="Family",
        email=f"p{n}@versmarkt.nl" if channel == "email" else None,
        business_unit="store-01",
        memberships=("store-01",),
        invite_channel=channel,  # type: ignore[arg-type]
    )


def backend_of(sim: SimulatorHandle, **kwargs: Any) -> ScimBackend:
    client = ScimClient(sim.url, Secret(TOKEN), retry=FAST_RETRY, timeout=5.0)
    return ScimBackend(client, Dialect(), **kwargs)


def run(backend: ScimBackend, actions: list[Action], people: list[Person]) -> list[Any]:
    by_id = {p.employee_id: p for p in people}
    results = []
    for batch in backend.batches(actions):
        results += backend.execute(batch, by_id, UNITS)
    return results


def creates(people: list[Person]) -> list[Action]:
    return [Action(f"create_user:{p.employee_id}", "create_user", p.employee_id) for p in people]


def joins(people: list[Person], group_id: str) -> list[Action]:
    return [
        Action(
            f"add_membership:{p.employee_id}:store-01",
            "add_membership",
            p.employee_id,
            org_unit="store-01",
            group_id=group_id,
        )
        for p in people
    ]


def store_group(sim: SimulatorHandle) -> str:
    body = {"schemas": [GROUP], "displayName": "Store 01", "externalId": "store-01"}
    return str(sim.network.create("Groups", body)["id"])


# -- the simulator ------------------------------------------------------------------------------


def test_the_simulator_announces_bulk_only_when_the_knob_is_on(
    simulator: SimulatorHandle, bulk_simulator: SimulatorHandle
) -> None:
    off = ScimClient(simulator.url, Secret(TOKEN))
    on = ScimClient(bulk_simulator.url, Secret(TOKEN))
    assert off.bulk_limits() is None
    assert on.bulk_limits() == BulkLimits(max_operations=50, max_payload_size=1_048_576)
    assert post(simulator, "/Bulk", {"schemas": [BULK], "Operations": [{}]}).status_code == 501
    off.close()
    on.close()


def test_a_bulk_request_creates_a_user_and_adds_it_to_a_group_by_its_bulk_id(
    bulk_simulator: SimulatorHandle,
) -> None:
    group_id = store_group(bulk_simulator)
    user = {"schemas": [USER], "userName": "anouk@versmarkt.nl", "externalId": "E001"}
    add = {"op": "add", "path": "members", "value": [{"value": "bulkId:anouk"}]}
    patch = {"schemas": [PATCH], "Operations": [add]}
    operations = [
        {"method": "POST", "path": "/Users", "bulkId": "anouk", "data": user},
        {"method": "PATCH", "path": f"/Groups/{group_id}", "data": patch},
    ]
    answer = post(bulk_simulator, "/Bulk", {"schemas": [BULK], "Operations": operations})
    created, patched = answer.json()["Operations"]
    assert (created["status"], patched["status"]) == ("201", "200")
    new_id = created["response"]["id"]
    members = bulk_simulator.network.groups[group_id]["members"]
    assert [m["value"] for m in members] == [new_id]


def test_fail_on_errors_stops_the_request_after_that_many_failures(
    bulk_simulator: SimulatorHandle,
) -> None:
    off = {"op": "replace", "path": "active", "value": False}
    bad = {
        "method": "PATCH",
        "path": "/Users/nobody",
        "data": {"schemas": [PATCH], "Operations": [off]},
    }
    user = {"schemas": [USER], "userName": "x@versmarkt.nl"}
    good = {"method": "POST", "path": "/Users", "bulkId": "x", "data": user}
    body = {"schemas": [BULK], "failOnErrors": 2, "Operations": [bad, bad, good]}
    answers = post(bulk_simulator, "/Bulk", body).json()["Operations"]
    assert [a["status"] for a in answers] == ["404", "404"]  # the POST never ran
    assert not bulk_simulator.network.users


def test_a_request_over_the_announced_limits_is_refused_whole(
    bulk_simulator: SimulatorHandle,
) -> None:
    user = {"schemas": [USER], "userName": "x@versmarkt.nl"}
    operations = [
        {"method": "POST", "path": "/Users", "bulkId": f"b{n}", "data": user} for n in range(51)
    ]
    assert (
        post(bulk_simulator, "/Bulk", {"schemas": [BULK], "Operations": operations}).status_code
        == 413
    )
    assert not bulk_simulator.network.users


# -- the backend --------------------------------------------------------------------------------


def test_creates_and_joins_travel_in_bulk_requests_within_max_operations(
    bulk_simulator: SimulatorHandle,
) -> None:
    group_id = store_group(bulk_simulator)
    staff = [person(n) for n in range(120)]
    backend = backend_of(bulk_simulator)
    before = dict(bulk_simulator.counters.by_path)
    results = run(backend, creates(staff), staff) + run(backend, joins(staff, group_id), staff)
    backend.close()
    bulks = bulk_simulator.counters.by_path.get("/Bulk", 0) - before.get("/Bulk", 0)
    assert all(r.ok for r in results) and len(results) == 240
    assert bulks == 3 + 1  # 120 creates in requests of 50; 120 joins in 2 PATCHes of 100 and 20
    assert all(r.detail.startswith("Bulk") for r in results)
    members = bulk_simulator.network.groups[group_id]["members"]
    assert len(members) == 120
    assert {r.created_id for r in results if r.created_id} == set(bulk_simulator.network.users)


def test_bulk_requests_stay_within_the_announced_payload_size(
    bulk_simulator: SimulatorHandle,
) -> None:
    bulk_simulator.knobs.bulk_max_payload = 6_000  # about a dozen creates per request
    staff = [person(n) for n in range(40)]
    backend = backend_of(bulk_simulator)
    results = run(backend, creates(staff), staff)
    backend.close()
    assert all(r.ok and r.detail.startswith("Bulk") for r in results)  # none refused (413)
    assert bulk_simulator.counters.by_path.get("/Bulk", 0) >= 4
    assert bulk_simulator.counters.by_path.get("/Users", 0) == 0  # nothing went alone


def test_a_failed_operation_is_retried_alone_and_the_others_are_done(
    bulk_simulator: SimulatorHandle,
) -> None:
    staff = [person(n) for n in range(5)]
    taken = {"schemas": [USER], "userName": "p2@versmarkt.nl", "externalId": "OTHER"}
    bulk_simulator.network.create("Users", taken)  # someone else holds E002's login
    backend = backend_of(bulk_simulator)
    results = run(backend, creates(staff), staff)
    backend.close()
    assert [r.ok for r in results] == [True, True, False, True, True]
    assert "Bulk POST: HTTP 409" in results[2].detail and "alone" in results[2].detail


def test_a_bulk_request_whose_answer_was_lost_creates_nobody_twice(
    bulk_simulator: SimulatorHandle,
) -> None:
    staff = [person(n) for n in range(10)]
    bulk_simulator.knobs.faults = ("drop",)  # processed, but the answer never comes back
    backend = backend_of(bulk_simulator)
    by_id = {p.employee_id: p for p in staff}
    (batch,) = backend.batches(creates(staff))
    lost = backend.client.bulk
    calls: list[int] = []

    def dropped(operations: list[dict[str, Any]], **kwargs: Any) -> list[dict[str, Any]]:
        calls.append(len(operations))
        bulk_simulator.knobs.fault_rate = 1.0
        try:
            return lost(operations, **kwargs)
        finally:
            bulk_simulator.knobs.fault_rate = 0.0

    backend.client.bulk = dropped  # type: ignore[method-assign]
    results = backend.execute(batch, by_id, UNITS)
    backend.close()
    assert calls == [10]
    assert all(r.ok for r in results)
    assert len(bulk_simulator.network.users) == 10  # each create looked up, none repeated
    assert len({r.created_id for r in results}) == 10


def test_a_printable_invite_waits_for_an_answer_that_shows_created_resources(
    bulk_simulator: SimulatorHandle,
) -> None:
    printable = [person(n, channel="printable") for n in range(3)]
    backend = backend_of(bulk_simulator)
    first = run(backend, creates(printable), printable)  # alone: the answers keep the codes
    assert all(r.ok and r.invite_code for r in first)
    assert "/Bulk" not in bulk_simulator.counters.by_path
    staff = [person(n) for n in range(10, 14)]
    run(backend, creates(staff), staff)  # a Bulk answer with the created resources
    more = [person(n, channel="printable") for n in range(20, 24)]
    later = run(backend, creates(more), more)
    backend.close()
    assert all(r.ok and r.invite_code and r.detail.startswith("Bulk") for r in later)


def test_without_bulk_every_change_is_a_request_of_its_own(
    simulator: SimulatorHandle, bulk_simulator: SimulatorHandle
) -> None:
    for sim, backend in (
        (simulator, backend_of(simulator)),
        (bulk_simulator, backend_of(bulk_simulator, use_bulk=False)),
    ):
        staff = [person(n) for n in range(6)]
        results = run(backend, creates(staff), staff)
        backend.close()
        assert all(r.ok for r in results)
        assert sim.counters.by_path.get("/Users") == 6 and "/Bulk" not in sim.counters.by_path


def test_bulk_against_scim2_server(scim2_server: str) -> None:
    peer = Peer(
        "scim2-server", f"{scim2_server}/tbulk/v2", TOKEN, Dialect(memberships_from="group_members")
    )
    backend = peer.backend()
    assert backend.bulk_limits() == BulkLimits(max_operations=1000, max_payload_size=1_048_576)
    unit = {"store-01": UNITS["store-01"]}
    (created,) = backend.execute(
        [Action("create_org_unit:store-01", "create_org_unit", org_unit="store-01")], {}, unit
    )
    staff = [person(n) for n in range(30)]
    results = run(backend, creates(staff), staff)
    results += run(backend, joins(staff, str(created.created_id)), staff)
    snapshot = backend.fetch_snapshot()
    backend.close()
    assert all(r.ok for r in results), [r.detail for r in results if not r.ok]
    (group,) = [g for g in snapshot.groups if g.key == "store-01"]
    assert len(group.members) == 30 and len(snapshot.users) == 30
