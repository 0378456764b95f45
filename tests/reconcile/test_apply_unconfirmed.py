"""When Speakap goes down in the middle of an apply, the summary is still printed and saved,
and it says that the failures could not be confirmed by a second read."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from reconciler.model import ActionResult
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.simulator import run_simulator
from tests.reconcile.conftest import person
from tests.reconcile.world import World


def test_an_outage_mid_apply_still_leaves_an_unconfirmed_summary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with run_simulator(token="outage-token") as sim:
        monkeypatch.setenv("SPEAKAP_URL", sim.url)
        monkeypatch.setenv("SPEAKAP_TOKEN", sim.token)
        world = World(tmp_path, sim.url, sim.token)
        execute = ScimBackend.execute

        def outage(self: ScimBackend, actions: Any, *args: Any) -> list[ActionResult]:
            # from the first action on, every request is answered 500
            sim.server.knobs = dataclasses.replace(
                sim.server.knobs, fault_rate=1.0, faults=("500",)
            )
            return execute(self, actions, *args)

        monkeypatch.setattr(ScimBackend, "execute", outage)
        world.commit([person(f"E{i}") for i in range(3)])
        assert world.plan() == 2
        capsys.readouterr()
        assert world.apply("--output", "json") == 1
        captured = capsys.readouterr()
        summary = json.loads(captured.out)
        assert summary["failures_confirmed"] is False
        assert summary["done"] == 0 and summary["failed"] > 0
        assert "could not re-read live state" in captured.err
        saved = json.loads((world.out / "summary.json").read_text())
        assert saved["failures_confirmed"] is False
        world.client.close()
