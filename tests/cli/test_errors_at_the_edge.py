"""The CLI reports errors once, with location, and the exit code of their kind."""

from __future__ import annotations

import pytest

from reconciler.cli import run
from reconciler.cli.app import app
from reconciler.errors import BlockedError, ConfigError


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["--help"]) == 0
    assert "speakap-sync" in capsys.readouterr().out


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["no-such-command"]) == 2
    assert "No such command" in capsys.readouterr().err


def test_sync_error_reported_with_location_and_no_traceback(
    capsys: pytest.CaptureFixture[str],
) -> None:
    @app.command("_raise-config-error", hidden=True)
    def _raise() -> None:
        raise ConfigError("unknown key", file="desired-state/policy.yaml", line=4, field="grace")

    @app.command("_raise-blocked", hidden=True)
    def _blocked() -> None:
        raise BlockedError("too many suspensions")

    assert run(["_raise-config-error"]) == 1
    err = capsys.readouterr().err
    assert err.strip() == ("error: desired-state/policy.yaml:4: unknown key (field 'grace')")
    assert "Traceback" not in err
    assert run(["_raise-blocked"]) == 3
