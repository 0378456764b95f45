"""``cli/app.py``: the typer application's command tables."""

from __future__ import annotations

import inspect

import pytest
from typer.main import get_command_name

from reconciler.cli import run
from reconciler.cli.app import app


def _summaries() -> dict[str, str]:
    out: dict[str, str] = {}
    for info in app.registered_commands:
        doc = inspect.getdoc(info.callback) if info.callback else None
        if info.callback and doc:
            out[info.name or get_command_name(info.callback.__name__)] = " ".join(
                doc.split("\n\n", 1)[0].split()
            )
    return out


def test_every_command_summary_is_one_line_of_its_first_paragraph() -> None:
    summaries = _summaries()
    assert len(summaries) >= 10
    for info in app.registered_commands:
        assert info.callback is not None
        name = info.name or get_command_name(info.callback.__name__)
        assert info.short_help == summaries[name]
        assert "\n" not in summaries[name]


def test_the_command_table_reflows_summaries_instead_of_breaking_mid_sentence(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "400")  # wide enough that no summary needs wrapping
    assert run(["--help"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith("│ ")]
    for name, summary in _summaries().items():
        row = next(r for r in rows if r.split()[1] == name)
        assert summary in row, f"{name}: its summary is not on one line"
