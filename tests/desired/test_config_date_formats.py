"""A date format strptime cannot use (a typo such as %Q, a stray %) is a configuration error
naming source.yaml's line, not every row failing as 'invalid start_date' (all new people
rejected, everyone known quarantined) with no word about the real cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.config import load_config
from reconciler.errors import ConfigError


def _set_format(state_dir: Path, fmt: str) -> Path:
    path = state_dir / "source.yaml"
    text = path.read_text(encoding="utf-8")
    assert '  - "%d-%m-%Y"\n' in text
    path.write_text(text.replace('  - "%d-%m-%Y"\n', f'  - "{fmt}"\n'), encoding="utf-8")
    return path


@pytest.mark.parametrize("fmt", ["%d-%m-%Q", "%d-%m-%Y%"])
def test_a_date_format_with_a_typo_is_a_configuration_error_naming_its_line(
    state_dir: Path, fmt: str
) -> None:
    source = _set_format(state_dir, fmt)
    line = next(n for n, text in enumerate(source.read_text().splitlines(), 1) if fmt in text)
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert fmt in caught.value.message
    assert (caught.value.file, caught.value.line, caught.value.field) == (
        str(source),
        line,
        "date_formats",
    )


@pytest.mark.parametrize("fmt", ["%Y%m%d", "%d/%m/%y", "%Y-%m-%dT%H:%M:%S%z", "%d %B %Y"])
def test_usable_date_formats_still_load(state_dir: Path, fmt: str) -> None:
    _set_format(state_dir, fmt)
    assert load_config(state_dir).source.date_formats == (fmt,)
