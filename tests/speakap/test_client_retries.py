"""How the SCIM client waits and retries, driven through an ``httpx.MockTransport`` with a
fake sleep that records every wait: ``Retry-After`` as seconds, as an HTTP date or unreadable,
exponential backoff with full jitter on 5xx and dropped connections, a POST retried only after a
lookup shows it did not land, and client-side pacing."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.speakap.client import RateLimiter, RetryPolicy, ScimClient, Secret
from reconciler.speakap.dialect import LIST_SCHEMA
from reconciler.speakap.errors import UnavailableError

BASE = "https://acme.speakap.example/scim/v2"
TOKEN = "mock-token"
SEED = 7
RETRY = RetryPolicy(attempts=5, base_delay=0.5, max_delay=4.0, max_retry_after=30.0)
Handler = Callable[[httpx.Request], httpx.Response]


def backoff(*attempts: int) -> list[float]:
    """The waits a client seeded with SEED draws after these failed attempts, in order."""
    rng = random.Random(SEED)
    return [RETRY.delay(n, rng) for n in attempts]


def scripted(*answers: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler giving ``answers`` in turn (an exception is raised, as a dropped connection
    is), then 200 ``{}`` for ever; and the list of requests it saw."""
    seen: list[httpx.Request] = []
    queue: Iterator[httpx.Response | Exception] = iter(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = next(queue, httpx.Response(200, json={"id": "u-1"}))
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle, seen


def client_for(handler: Handler, sleeps: list[float], **options: Any) -> ScimClient:
    return ScimClient(
        BASE,
        Secret(TOKEN),
        transport=httpx.MockTransport(handler),
        sleep=sleeps.append,
        retry=RETRY,
        seed=SEED,
        rate_limit=None,
        **options,
    )


def throttled(retry_after: str | None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(429, headers=headers, json={"detail": "slow down"})


def test_a_429_waits_the_seconds_retry_after_names_then_succeeds() -> None:
    handler, seen = scripted(throttled("3"), throttled("1.5"))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client:
        assert client.get("/Users", "u-1") == {"id": "u-1"}
        assert client.stats.throttled == 2 and client.stats.retries == 2
    assert sleeps == [3.0, 1.5]
    assert len(seen) == 3


def test_a_retry_after_longer_than_the_limit_waits_only_the_limit() -> None:
    handler, _ = scripted(throttled("3600"))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client:
        client.get("/Users", "u-1")
    assert sleeps == [RETRY.max_retry_after]


@pytest.mark.parametrize(
    ("date", "wait"),
    [
        ("Fri, 31 Dec 9999 23:59:59 GMT", RETRY.max_retry_after),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 0.0),
    ],
)
def test_a_retry_after_given_as_an_http_date_waits_until_then_within_the_limit(
    date: str, wait: float
) -> None:
    handler, _ = scripted(throttled(date))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client:
        client.get("/Users", "u-1")
    assert sleeps == [wait]


@pytest.mark.parametrize("value", ["in a little while", None, "nan"])
def test_an_unreadable_or_missing_retry_after_waits_the_ordinary_backoff(
    value: str | None,
) -> None:
    handler, _ = scripted(throttled(value), throttled(value))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client:
        client.get("/Users", "u-1")
    assert sleeps == backoff(1, 2)


def test_a_throttled_listing_still_lists_every_user() -> None:
    users = [{"id": f"u-{n}", "externalId": f"E{n}"} for n in range(3)]
    page = httpx.Response(
        200, json={"schemas": [LIST_SCHEMA], "totalResults": 3, "Resources": users}
    )
    handler, _ = scripted(throttled("in a little while"), throttled("2"), page)
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client:
        listed = client.list_all("/Users")
        assert client.stats.throttled == 2
    assert [u["externalId"] for u in listed] == ["E0", "E1", "E2"]
    assert sleeps == [*backoff(1), 2.0]


def test_a_server_that_keeps_throttling_is_named_as_rate_limiting_when_retries_run_out() -> None:
    handler, seen = scripted(*(throttled("2") for _ in range(RETRY.attempts)))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client, pytest.raises(UnavailableError) as caught:
        client.list_all("/Users")
    assert "429" in str(caught.value)
    assert len(seen) == RETRY.attempts
    assert sleeps == [2.0] * (RETRY.attempts - 1)  # no wait after the last refusal


def test_server_errors_back_off_exponentially_with_full_jitter_then_succeed() -> None:
    handler, seen = scripted(httpx.Response(503), httpx.Response(502), httpx.Response(500))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client:
        assert client.get("/Users", "u-1") == {"id": "u-1"}
    assert sleeps == backoff(1, 2, 3)
    assert all(s <= min(RETRY.max_delay, RETRY.base_delay * 2**n) for n, s in enumerate(sleeps))
    assert len(seen) == 4


def test_a_server_that_keeps_failing_stops_after_the_attempts_without_a_last_wait() -> None:
    handler, seen = scripted(*(httpx.Response(503) for _ in range(RETRY.attempts)))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client, pytest.raises(UnavailableError, match="503"):
        client.get("/Users", "u-1")
    assert len(seen) == RETRY.attempts
    assert sleeps == backoff(*range(1, RETRY.attempts))


def test_a_dropped_connection_on_a_put_is_retried_after_the_backoff() -> None:
    handler, seen = scripted(httpx.ReadError("connection reset"))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client:
        client.replace("/Users", "u-1", {"userName": "a"})
    assert [r.method for r in seen] == ["PUT", "PUT"]
    assert sleeps == backoff(1)


def test_a_post_that_may_have_landed_is_looked_up_and_not_posted_again() -> None:
    landed = {"schemas": [LIST_SCHEMA], "totalResults": 1, "Resources": [{"id": "u-9"}]}
    handler, seen = scripted(httpx.ReadTimeout("answer lost"), httpx.Response(200, json=landed))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client:
        created = client.create("/Users", {"externalId": "E9"}, lookup_filter='externalId eq "E9"')
        assert client.stats.lookups_after_failed_post == 1
    assert created == {"id": "u-9"}
    assert [r.method for r in seen] == ["POST", "GET"]
    assert seen[1].url.params["filter"] == 'externalId eq "E9"'
    assert sleeps == backoff(1)


def test_a_post_that_did_not_land_is_posted_again_after_the_lookup() -> None:
    empty = {"schemas": [LIST_SCHEMA], "totalResults": 0, "Resources": []}
    handler, seen = scripted(httpx.Response(502), httpx.Response(200, json=empty))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client:
        created = client.create("/Users", {"externalId": "E9"}, lookup_filter='externalId eq "E9"')
    assert created == {"id": "u-1"}
    assert [r.method for r in seen] == ["POST", "GET", "POST"]
    assert json.loads(seen[2].content) == {"externalId": "E9"}


def test_a_post_that_never_reached_the_server_is_retried_without_a_lookup() -> None:
    handler, seen = scripted(httpx.ConnectError("refused"))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client:
        client.create("/Users", {"externalId": "E9"}, lookup_filter='externalId eq "E9"')
    assert [r.method for r in seen] == ["POST", "POST"]
    assert sleeps == backoff(1)


def test_a_post_that_may_have_landed_without_a_way_to_check_is_not_repeated() -> None:
    handler, seen = scripted(httpx.Response(500))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client, pytest.raises(UnavailableError, match="may have"):
        client.create("/Groups", {"displayName": "x"})
    assert [r.method for r in seen] == ["POST"] and sleeps == []


def test_a_retried_delete_that_finds_the_user_gone_counts_as_done() -> None:
    handler, seen = scripted(httpx.Response(503), httpx.Response(404))
    sleeps: list[float] = []
    with client_for(handler, sleeps) as client:
        client.delete("/Users", "u-1")
    assert [r.method for r in seen] == ["DELETE", "DELETE"]
    assert sleeps == backoff(1)


def test_the_token_travels_as_a_bearer_header_only() -> None:
    handler, seen = scripted()
    with client_for(handler, []) as client:
        client.get("/Users", "u-1")
        assert TOKEN not in repr(client)
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in str(seen[0].url)


@given(st.integers(0, 2**32), st.integers(1, 12))
def test_every_backoff_lies_between_zero_and_the_capped_exponential(
    seed: int, attempt: int
) -> None:
    cap = min(RETRY.max_delay, RETRY.base_delay * 2 ** (attempt - 1))
    assert 0.0 <= RETRY.delay(attempt, random.Random(seed)) <= cap


class FakeClock:
    """Monotonic time that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_the_rate_limiter_lets_a_burst_through_then_paces_requests_at_the_rate() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4.0, burst=2, sleep=clock.sleep, clock=clock)
    for _ in range(5):
        limiter.acquire()
    assert clock.sleeps == pytest.approx([0.25, 0.25, 0.25])
    assert clock.now == pytest.approx(100.75)
