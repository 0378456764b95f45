"""The values every HR reader produces."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RawRow:
    """One record of an export, before normalisation: text as read (normalisation trims it),
    None for a missing cell."""

    line: int
    values: dict[str, str | None]
    error: str | None = None


@dataclass(slots=True)
class Export:
    """An opened export: its headers (read eagerly) and a one-shot stream of rows."""

    path: Path
    format: str
    headers: tuple[str, ...]
    rows: Iterator[RawRow]
    header_line: int = 1
    serial_dates: bool = False  # XLSX: numbers in date columns are Excel serial dates
    _close: Callable[[], None] = field(default=lambda: None)

    def close(self) -> None:
        self._close()


def cell_text(value: object) -> str | None:
    """A cell as text: ids that a spreadsheet turned into numbers lose their ``.0``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    return text or None
