"""``speakap-sync check`` prints the preflight's findings and exits 0 for a ready server."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.speakap.simulator import run_simulator


def test_check_against_the_simulator_says_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with run_simulator(token="check-command-token") as sim:
        monkeypatch.setenv("SPEAKAP_URL", sim.url)
        monkeypatch.setenv("SPEAKAP_TOKEN", sim.token)
        monkeypatch.delenv("SPEAKAP_TOKEN_FILE", raising=False)
        assert run(["check", "--state-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"speakap-sync check: {sim.url}"
    assert any(line.startswith("  ok") and "PATCH supported" in line for line in out)
    assert not any(line.startswith("  problem") for line in out)
    assert out[-1].startswith("ready (memberships_from: ")
