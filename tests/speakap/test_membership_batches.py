"""The SCIM backend alone decides which actions travel together: membership changes of one
group and kind in PATCHes of at most ``batch_size`` members, anything else alone; and it runs
them on one thread pool that lives as long as the backend."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.model import Action, ActionKind, Person
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import ScimClient, Secret
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.simulator import SimulatorHandle

KINDS: list[ActionKind] = ["add_membership", "remove_membership", "create_user", "update_user"]
MEMBERSHIP = {"add_membership", "remove_membership"}


@st.composite
def action_lists(draw: st.DrawFn) -> list[Action]:
    rows = draw(
        st.lists(st.tuples(st.sampled_from(KINDS), st.sampled_from(["a", "b", "c"])), max_size=40)
    )
    return [
        Action(f"{kind}:E{n}:{unit}", kind, f"E{n}", org_unit=unit)
        for n, (kind, unit) in enumerate(rows)
    ]


def offline_backend(batch_size: int) -> ScimBackend:
    """A backend whose batching is inspected without a server (no request is made: without
    Bulk, there is nothing to discover)."""
    client = ScimClient("http://127.0.0.1:9/scim/v2", Secret("unused"))
    return ScimBackend(client, Dialect(batch_size=batch_size), use_bulk=False)


@settings(deadline=None)  # each example opens an httpx client: slow on a loaded machine
@given(action_lists(), st.integers(1, 5))
def test_batches_hold_each_action_once_and_never_mix_groups_kinds_or_exceed_the_size(
    actions: list[Action], batch_size: int
) -> None:
    backend = offline_backend(batch_size)
    batches = backend.batches(actions)
    backend.close()
    flat = [a.id for batch in batches for a in batch]
    assert sorted(flat) == sorted(a.id for a in actions)
    for batch in batches:
        if batch[0].kind in MEMBERSHIP:
            assert len(batch) <= batch_size
            assert {(a.kind, a.org_unit) for a in batch} == {(batch[0].kind, batch[0].org_unit)}
        else:
            assert len(batch) == 1
        positions = [actions.index(a) for a in batch]
        assert positions == sorted(positions)


def test_seven_joins_of_one_group_with_a_batch_size_of_three_are_three_batches() -> None:
    joins = [Action(f"j:E{n}", "add_membership", f"E{n}", org_unit="store") for n in range(7)]
    backend = offline_backend(3)
    sizes = [len(batch) for batch in backend.batches(joins)]
    backend.close()
    assert sizes == [3, 3, 1]


def test_every_execute_runs_on_the_one_pool_the_backend_closes(
    simulator: SimulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = ScimClient(simulator.url, Secret(simulator.token), concurrency=2, rate_limit=None)
    backend = ScimBackend(client)
    workers: set[threading.Thread] = set()
    carry_out: Callable[..., Any] = backend._run

    def recording(*args: Any) -> Any:
        workers.add(threading.current_thread())
        return carry_out(*args)

    monkeypatch.setattr(backend, "_run", recording)
    for round_ in range(3):
        people = {f"E{round_}{n}": Person(f"E{round_}{n}", "Given", f"Family{n}") for n in range(6)}
        hires = [Action(f"create_user:{e}", "create_user", e) for e in people]
        assert all(r.ok for r in backend.execute(hires, people, {}))
    assert len(simulator.network.users) == 18
    assert 1 <= len(workers) <= 2  # a pool per call would have started new threads each time
    backend.close()
    assert not any(worker.is_alive() for worker in workers)
