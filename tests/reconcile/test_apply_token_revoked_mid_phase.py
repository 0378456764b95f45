"""A token revoked in the middle of a phase stops the run, but what finished meanwhile is not
lost: an account created concurrently with the first refused request is journaled and its
one-time code reaches the printable sheet (it can never be read back from Speakap)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from reconciler.model import ActionResult
from reconciler.reconcile.journal import done_actions
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.sheets import sheet_codes
from tests.reconcile.world import World

STAFF = [person(f"E{i:02}") for i in range(1, 5)]
PRINTABLE = person("P1", email=None, invite_channel="printable")


def test_a_create_finishing_after_the_token_was_revoked_keeps_its_code_and_journal_line(
    sim_world: tuple[World, SimulatorHandle],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    world, sim = sim_world
    execute = ScimBackend.execute
    p1_created = threading.Event()
    e01_refused = threading.Event()

    def racing(self: ScimBackend, actions: Any, *args: Any) -> list[ActionResult]:
        first = actions[0].id if actions else ""
        if first == "create_user:P1":
            results = execute(self, actions, *args)  # lands, with a one-time code
            p1_created.set()
            e01_refused.wait(10)
            time.sleep(0.3)  # the run has seen the refusal by now
            return results
        if first == "create_user:E01":
            assert p1_created.wait(10)
            sim.server.token = "revoked"
            try:
                return execute(self, actions, *args)
            finally:
                e01_refused.set()
        return execute(self, actions, *args)

    monkeypatch.setattr(ScimBackend, "execute", racing)
    world.commit([*STAFF, PRINTABLE])
    assert world.plan() == 2
    capsys.readouterr()
    assert world.apply() == 1
    err = capsys.readouterr().err
    assert "refused the credentials" in err
    sim.server.token = world.token
    assert "P1" in world.users()  # it was created ...
    journals = list((world.out / "journal").glob("*.jsonl"))
    assert len(journals) == 1
    assert "create_user:P1" in done_actions(journals[0])  # ... and journaled
    assert "P1" in sheet_codes(world.out), "the one-time code of P1 was lost"
