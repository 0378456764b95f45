"""Flaky servers: with 5% injected faults and a rate limit, nothing is lost or duplicated.

Faults are a 500 before the request is processed, or, after it is processed, a response held
past the client's timeout or a dropped connection: the cases where a client cannot know whether
its POST landed and must look before posting again.
"""

from __future__ import annotations

from reconciler.model import Action, Person
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import RetryPolicy, ScimClient, Secret
from reconciler.speakap.simulator import run_simulator

TOKEN = "fault-token"
RETRY = RetryPolicy(attempts=10, base_delay=0.02, max_delay=0.2, max_retry_after=1.0)


def seed_users(network: object, count: int) -> None:
    for n in range(count):
        network.create(  # type: ignore[attr-defined]
            "Users",
            {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": f"user{n}@versmarkt.example",
                "externalId": f"E{n:06d}",
            },
        )


def test_listing_10000_users_through_faults_and_a_rate_limit_gives_each_user_once() -> None:
    with run_simulator(
        token=TOKEN, seed=7, fault_rate=0.05, fault_delay=1.2, rate_limit=40, retry_after=0.2
    ) as sim:
        seed_users(sim.network, 10_000)
        client = ScimClient(
            sim.url, Secret(TOKEN), page_size=100, concurrency=8, timeout=0.8, retry=RETRY,
            rate_limit=60,
        )  # fmt: skip
        users = client.list_all("/Users")
        assert len(users) == 10_000
        assert len({u["id"] for u in users}) == 10_000
        assert {u["externalId"] for u in users} == {f"E{n:06d}" for n in range(10_000)}
        # Whether the pace ever hits the rate limit depends on the machine's speed (exact 429
        # handling is covered on scripted answers in test_client_retries.py); faults always come.
        assert sim.counters.faults > 0
        retried = sim.counters.faults + sim.counters.throttled
        assert client.stats.retries >= retried  # every fault and every 429 was retried
        client.close()


def test_creating_500_users_through_faults_creates_each_exactly_once() -> None:
    people = {
        f"E{n:05d}": Person(
            employee_id=f"E{n:05d}",
            given_name=f"Given{n}",
            family_name="Hire",
            email=f"hire{n}@versmarkt.example",
        )
        for n in range(500)
    }
    with run_simulator(
        token=TOKEN, seed=11, fault_rate=0.05, fault_delay=0.6, rate_limit=400, retry_after=0.1
    ) as sim:
        client = ScimClient(
            sim.url, Secret(TOKEN), concurrency=8, timeout=0.4, retry=RETRY, rate_limit=500
        )
        backend = ScimBackend(client)
        actions = [Action(f"create_user:{e}", "create_user", e) for e in people]
        results = backend.execute(actions, people, {})
        assert [r.detail for r in results if not r.ok] == []
        users = list(sim.network.users.values())
        assert len(users) == 500
        assert sorted(u["externalId"] for u in users) == sorted(people)
        assert {r.created_id for r in results} == set(sim.network.users)
        # Some POSTs were processed but their answer was lost: found by lookup, not re-posted.
        assert client.stats.lookups_after_failed_post > 0
        assert len(sim.invitations()) == 500
        client.close()
