"""The values every HR reader produces, and the limits every reader keeps."""

from __future__ import annotations

import codecs
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from reconciler.errors import InputError

# Limits on what an export may hold, the same for every format (docs/security.md#input). An
# export is hostile until read: none of these can be reached by a real HR export.
MAX_FIELD_CHARS = 4096  # one value that render reads (a name, an id, a code): longer is a row error
MAX_COLUMNS = 1024  # columns in the header (JSON: distinct keys over all records)
MAX_LINE_CHARS = 1 << 20  # CSV: one physical line (a row is far shorter)


@dataclass(frozen=True, slots=True)
class RawRow:
    """One record of an export, before normalisation: text as read (normalisation trims it),
    None for a missing cell.

    ``hides_rows`` marks a record whose structure is broken so that rows after it may be lost
    or read into it (a CSV quote never closed): render then offboards nobody.
    """

    line: int
    values: dict[str, str | None]
    error: str | None = None
    hides_rows: bool = False


# Which rows of an export a reader builds: a column and whether a row with this value (None:
# none) in that column is wanted, asked once for every row that does not hide rows. A record
# that may hide rows (``RawRow.hides_rows``) is always yielded: every reader must see it.
RowFilter = tuple[str, Callable[[str | None], bool]]


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
    # The same export opened again, its checks and detection not redone, building only the
    # rows a filter wants: another process reads its own rows this way. None when reading the
    # export again costs too much.
    reopen: Callable[[RowFilter | None], Export] | None = None

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


# Byte-order marks of encodings no reader supports, longest first (UTF-32-LE starts like UTF-16-LE).
_FOREIGN_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)
SUPPORTED = "save the export as UTF-8 or cp1252"


def foreign_bom(head: bytes) -> str | None:
    """The name of an unsupported encoding announced by the file's first bytes, if any."""
    for bom, name in _FOREIGN_BOMS:
        if head.startswith(bom):
            return name
    return None


def check_headers(headers: list[str], path: Path, line: int) -> None:
    """Refuse a header of more than MAX_COLUMNS columns, or one header twice (the later column
    would silently win)."""
    if len(headers) > MAX_COLUMNS:
        raise InputError(
            f"the header has {len(headers):,} columns, more than the limit of {MAX_COLUMNS:,}",
            file=path,
            line=line,
        )
    counts = Counter(headers)
    duplicates = sorted(h for h, n in counts.items() if h and n > 1)
    if duplicates:
        raise InputError(
            f"duplicate column {duplicates[0]!r}", file=path, line=line, field=duplicates[0]
        )
