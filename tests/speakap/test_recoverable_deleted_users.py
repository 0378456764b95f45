"""A user deleted in Speakap stays recoverable for the grace period: the backend reads such
users (``GET /DeletedUsers``, with the groups they go back to) and recovers one
(``POST /DeletedUsers/{id}/recover``); a server without that endpoint keeps none."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx

from reconciler.model import Action
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import ScimClient, Secret
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.simulator import SimulatorHandle, load_network, run_simulator
from tests.speakap.conftest import FAST_RETRY, TOKEN, Peer

SEED = Path(__file__).parent / "data" / "seed-network.json"


def backend_for(sim: SimulatorHandle, dialect: Dialect | None = None) -> ScimBackend:
    return ScimBackend(ScimClient(sim.url, Secret(TOKEN), retry=FAST_RETRY), dialect)


def delete(backend: ScimBackend, user_id: str) -> None:
    [result] = backend.execute([Action("d", "delete_user", "x", user_id=user_id)], {}, {})
    assert result.ok


def test_a_deleted_user_is_read_with_its_groups_and_recovered_with_them() -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim:
        backend = backend_for(sim)
        delete(backend, "u-1002")
        snapshot = backend.fetch_snapshot()
        [gone] = snapshot.deleted
        assert gone.user.id == "u-1002" and gone.user.employee_id == "1002"
        bakery = next(g for g in snapshot.groups if g.key == "bakery")
        assert bakery.id in gone.groups and "u-1002" not in bakery.members
        recover = Action("recover_user:1002", "recover_user", "1002", user_id="u-1002")
        [result] = backend.execute([recover], {}, {})
        assert result.ok, result.detail
        after = backend.fetch_snapshot()
        assert after.deleted == ()
        assert "u-1002" in next(g for g in after.groups if g.key == "bakery").members
        assert "u-1002" in {u.id for u in after.users}


def test_a_recovery_repeated_after_it_landed_counts_as_done() -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim:
        backend = backend_for(sim)
        delete(backend, "u-1002")
        recover = Action("recover_user:1002", "recover_user", "1002", user_id="u-1002")
        assert backend.execute([recover], {}, {})[0].ok
        again = backend.execute([recover], {}, {})[0]
        assert again.ok, again.detail  # the account is back in /Users: nothing left to do


def test_recovering_a_user_that_is_gone_for_good_fails_with_the_reason() -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim:
        backend = backend_for(sim)
        delete(backend, "u-1002")
        sim.advance_clock(days=31)
        recover = Action("recover_user:1002", "recover_user", "1002", user_id="u-1002")
        result = backend.execute([recover], {}, {})[0]
        assert not result.ok and "not found" in result.detail


def test_the_deleted_users_list_pages_and_filters() -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim:
        backend = backend_for(sim)
        delete(backend, "u-1001")
        delete(backend, "u-1002")
        headers = {"Authorization": f"Bearer {TOKEN}"}
        page = httpx.get(f"{sim.url}/DeletedUsers?count=1", headers=headers).json()
        assert page["totalResults"] == 2 and len(page["Resources"]) == 1
        assert page["Resources"][0]["meta"]["resourceType"] == "DeletedUser"
        found = httpx.get(
            f"{sim.url}/DeletedUsers", params={"filter": 'externalId eq "1002"'}, headers=headers
        ).json()
        assert [r["id"] for r in found["Resources"]] == ["u-1002"]
        assert len(backend.fetch_snapshot().deleted) == 2


def test_a_server_without_the_endpoint_keeps_no_deleted_users_and_is_asked_once(
    scim2_server: str,
) -> None:
    peer = Peer("scim2-server", f"{scim2_server}/t{uuid.uuid4().hex[:12]}/v2", TOKEN, Dialect())
    with peer.backend() as backend:
        assert backend.fetch_snapshot().deleted == ()
        requests = backend.client.stats.requests
        assert backend.fetch_snapshot().deleted == ()
        assert backend.client.stats.requests - requests == 2  # users and groups only


def test_a_dialect_without_the_endpoint_does_not_ask() -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim:
        backend = backend_for(sim, Dialect(deleted_users_endpoint=""))
        delete(backend, "u-1002")
        assert backend.fetch_snapshot().deleted == ()
        assert "/DeletedUsers" not in sim.server.counters.by_path
