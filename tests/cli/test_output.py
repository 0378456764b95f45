"""`--output text|json`, shared by apply, history and pii-audit: one check, before the command
reads anything, and one error line for any other value."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.cli.output import wants_json
from reconciler.errors import InputError


def test_json_and_text_are_the_two_outputs() -> None:
    assert wants_json("json") is True and wants_json("text") is False
    with pytest.raises(InputError, match="--output must be 'text' or 'json'"):
        wants_json("JSON")


@pytest.mark.parametrize(
    "command", [["history", "000100"], ["pii-audit", "000100"], ["apply", "--auto-approve"]]
)
def test_an_unknown_output_is_one_error_line_before_anything_is_read(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-state"
    assert run([*command, "--state-dir", str(missing), "--output", "xml"]) == 1
    assert capsys.readouterr().err == (
        "error: --output must be 'text' or 'json' (field '--output')\n"
    )
    assert not missing.exists()
