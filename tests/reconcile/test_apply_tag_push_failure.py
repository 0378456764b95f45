"""An apply that carried out every action but could not push the last-applied tag to origin
still writes and prints its summary (what it did is not lost), then fails naming the push."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.speakap.simulator import run_simulator
from tests.reconcile.conftest import person
from tests.reconcile.world import World

STAFF = [person(f"E{i:02}") for i in range(1, 4)]


def test_a_refused_push_of_the_last_applied_tag_keeps_the_apply_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SPEAKAP_TOKEN_FILE", raising=False)
    with run_simulator(token="push-token") as sim:
        monkeypatch.setenv("SPEAKAP_URL", sim.url)
        monkeypatch.setenv("SPEAKAP_TOKEN", sim.token)
        world = World(tmp_path, sim.url, sim.token)
        try:
            world.commit(STAFF, "day 0")
            # an origin that cannot be pushed to (gone, or no rights)
            world.repo.create_remote("origin", str(tmp_path / "no-such-remote.git"))
            assert world.plan() == 2
            capsys.readouterr()
            code = world.apply("--output", "json")
            captured = capsys.readouterr()
            users = world.users()
        finally:
            world.client.close()
    assert code == 1
    assert "could not push" in captured.err and "Traceback" not in captured.err
    assert set(users) >= {"E01", "E02", "E03"}  # the apply itself happened
    summary = json.loads((world.out / "summary.json").read_text())
    assert summary["ok"] is True and summary["done"] == len(world.plan_json()["actions"])
    assert summary["last_applied_moved"] is False
    assert json.loads(captured.out) == summary  # --output json still printed it
