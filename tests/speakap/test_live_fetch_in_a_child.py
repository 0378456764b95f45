"""The live snapshot fetched in a forked child process is the snapshot an in-process fetch
reads, and the fetch's errors, warnings, progress and request counts reach the caller as they
would from an in-process fetch; where forking is not safe the fetch runs on a thread."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from reconciler.errors import SyncError
from reconciler.model import Action, ActionKind
from reconciler.speakap import live_fetch
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import RetryPolicy, ScimClient, Secret
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.errors import AuthenticationError, UnavailableError
from reconciler.speakap.simulator import load_network, run_simulator
from tests.speakap.conftest import FAST_RETRY, TOKEN

SEED = Path(__file__).parent / "data" / "seed-network.json"
BASE = "https://acme.speakap.example/scim/v2"
SECRET = "tok-3f9a1c7e55d2"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="this platform cannot fork")


@pytest.fixture
def seeded() -> Iterator[Callable[[], ScimBackend]]:
    """Backends (each with its own client) over one simulator with the seed network, with
    a user deleted and still recoverable."""
    with run_simulator(token=TOKEN, network=load_network(SEED), max_page_size=3) as sim:

        def backend() -> ScimBackend:
            return ScimBackend(ScimClient(sim.url, Secret(TOKEN), retry=FAST_RETRY, page_size=3))

        deleting = backend()
        deleting.client.delete("/Users", "u-1002")
        deleting.close()
        yield backend


def test_the_forked_fetch_reads_the_snapshot_an_in_process_fetch_reads(
    seeded: Callable[[], ScimBackend],
) -> None:
    with seeded() as here, seeded() as forked:
        expected = here.fetch_snapshot()
        pending = live_fetch.start_fetch(forked, fork=True)
        try:
            snapshot = pending.result()
        finally:
            pending.close()
        assert snapshot == expected
        assert snapshot.deleted and snapshot.groups  # the seed has both: all three compared
        assert snapshot.fingerprint() == expected.fingerprint()
        assert snapshot.known_fingerprint == expected.fingerprint()  # hashed by the child
        # the parent's client counts the child's requests, as if it had made them itself
        assert forked.client.stats.requests == here.client.stats.requests > 3
        assert forked.dialect == here.dialect and forked.keeps_deleted


def test_after_a_forked_fetch_apply_needs_no_more_requests_than_after_an_in_process_one(
    seeded: Callable[[], ScimBackend],
) -> None:
    """The backend adopts the live ids the child read: apply resolves employee ids and org
    keys without looking them up."""
    spent: list[int] = []
    kinds: tuple[tuple[bool, ActionKind], ...] = (
        (False, "add_membership"),
        (True, "remove_membership"),
    )
    for fork, kind in kinds:
        with seeded() as backend:
            pending = live_fetch.start_fetch(backend, fork=fork)
            snapshot = pending.result()
            pending.close()
            user = next(u for u in snapshot.users if u.employee_id == "1001")
            group = next(g for g in snapshot.groups if g.key == "bakery")
            before = backend.client.stats.requests
            change = Action("a", kind, user.employee_id, org_unit=group.key)
            [result] = backend.execute([change], {}, {})
            assert result.ok, result.detail
            spent.append(backend.client.stats.requests - before)
    assert spent[1] == spent[0] <= 2  # the Bulk discovery and the PATCH: no lookups


def test_the_forked_fetch_reports_progress_as_an_in_process_fetch_does(
    seeded: Callable[[], ScimBackend],
) -> None:
    seen: dict[str, list[tuple[str, int, int | None]]] = {"here": [], "forked": []}
    with seeded() as here, seeded() as forked:
        here.progress = lambda *tick: seen["here"].append(tick)
        forked.progress = lambda *tick: seen["forked"].append(tick)
        here.fetch_snapshot()
        pending = live_fetch.start_fetch(forked, fork=True)
        pending.result()
        pending.close()
    assert seen["forked"] == seen["here"]
    assert ("fetch users", 0, None) in seen["forked"]


def _mock_backend(handle: Callable[[httpx.Request], httpx.Response]) -> ScimBackend:
    client = ScimClient(
        BASE,
        Secret(SECRET),
        transport=httpx.MockTransport(handle),
        sleep=lambda _: None,
        retry=RetryPolicy(attempts=2),
        rate_limit=None,
    )
    return ScimBackend(client, Dialect())


def _error_of(handle: Callable[[httpx.Request], httpx.Response], fork: bool) -> SyncError:
    with _mock_backend(handle) as backend:
        pending = live_fetch.start_fetch(backend, fork=fork)
        try:
            with pytest.raises(SyncError) as raised:
                pending.result()
        finally:
            pending.close()
    return raised.value


def _refused(request: httpx.Request) -> httpx.Response:
    return httpx.Response(401, json={"detail": f"bad token Bearer {SECRET}", "status": "401"})


def _failing(request: httpx.Request) -> httpx.Response:
    return httpx.Response(503, text=f"upstream down ({request.headers['Authorization']})")


def _echoing(request: httpx.Request) -> httpx.Response:
    detail = f"filter refused for Authorization: Bearer {SECRET}"
    return httpx.Response(400, json={"detail": detail, "scimType": "invalidFilter"})


@pytest.mark.parametrize(
    ("handle", "kind"),
    [(_refused, AuthenticationError), (_failing, UnavailableError), (_echoing, SyncError)],
    ids=["refused credentials", "server error after retries", "an answer echoing the token"],
)
def test_an_error_in_the_child_is_raised_as_the_in_process_fetch_raises_it(
    handle: Callable[[httpx.Request], httpx.Response], kind: type[SyncError]
) -> None:
    here, forked = _error_of(handle, fork=False), _error_of(handle, fork=True)
    assert type(forked) is type(here) and isinstance(forked, kind)
    assert str(forked) == str(here)
    assert vars(forked) == vars(here)
    assert "\n" not in str(forked) and SECRET not in str(forked)


def test_a_retry_warning_in_the_child_reaches_the_callers_log_handlers(
    caplog: pytest.LogCaptureFixture,
) -> None:
    calls: list[str] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if os.getpid() != parent and len(calls) == 1:
            return httpx.Response(503, text="busy")
        return httpx.Response(200, json={"schemas": [LIST], "totalResults": 0, "Resources": []})

    parent = os.getpid()
    with caplog.at_level(logging.WARNING), _mock_backend(flaky) as backend:
        pending = live_fetch.start_fetch(backend, fork=True)
        snapshot = pending.result()
        pending.close()
    assert snapshot.users == () and snapshot.groups == ()
    assert any("HTTP 503, retrying" in r.getMessage() for r in caplog.records)


def test_a_child_that_dies_without_an_answer_leaves_the_fetch_to_the_caller() -> None:
    parent = os.getpid()

    def dying(request: httpx.Request) -> httpx.Response:
        if os.getpid() != parent:
            os._exit(9)  # killed mid-fetch, as by the out-of-memory killer
        return httpx.Response(200, json={"schemas": [LIST], "totalResults": 0, "Resources": []})

    with _mock_backend(dying) as backend:
        pending = live_fetch.start_fetch(backend, fork=True)
        snapshot = pending.result()
        pending.close()
    assert snapshot.users == () and backend.client.stats.requests >= 2


def test_closing_a_running_fetch_stops_its_child() -> None:
    parent = os.getpid()
    gate = threading.Event()

    def hanging(request: httpx.Request) -> httpx.Response:
        if os.getpid() != parent:
            gate.wait(60)  # the child's copy of the event is never set
        return httpx.Response(200, json={"schemas": [LIST], "totalResults": 0, "Resources": []})

    with _mock_backend(hanging) as backend:
        pending = live_fetch.start_fetch(backend, fork=True)
        assert isinstance(pending, live_fetch._ChildFetch)
        pid = pending._pid
        pending.close()
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # ended and reaped


def test_with_another_thread_running_the_fetch_runs_on_a_thread(
    seeded: Callable[[], ScimBackend],
) -> None:
    # the simulator serves on threads of this process: forking now would copy their locks
    assert threading.active_count() > 1 and not live_fetch.can_fork()
    with seeded() as backend:
        pending = live_fetch.start_fetch(backend)
        assert not isinstance(pending, live_fetch._ChildFetch)
        assert pending.result().users
        pending.close()


def test_where_the_platform_cannot_fork_the_fetch_runs_on_a_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(os, "fork")
    assert not live_fetch.can_fork()

    def empty(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"schemas": [LIST], "totalResults": 0, "Resources": []})

    with _mock_backend(empty) as backend:
        pending = live_fetch.start_fetch(backend)
        assert pending.result().users == ()
        pending.close()
