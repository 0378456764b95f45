"""CSV exports: UTF-8, UTF-8 with BOM or cp1252; `,` `;` or tab; quoted fields; ragged rows."""

from __future__ import annotations

import codecs
import csv
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from reconciler.errors import InputError
from reconciler.render.sources.base import (
    MAX_LINE_CHARS,
    SUPPORTED,
    Export,
    RawRow,
    RowFilter,
    check_headers,
    foreign_bom,
)

_DELIMITERS = (";", ",", "\t")
_CHUNK = 1 << 20
# Control bytes no text export holds (tab, LF, CR, VT, FF and DOS's end-of-file 0x1A are fine):
# NUL is how UTF-16 without a BOM and binary files show themselves.
_BINARY = re.compile(rb"[\x00-\x08\x0e-\x19\x1b-\x1f]")
# A well-formed multi-byte UTF-8 sequence (RFC 3629 table). cp1252 text almost never holds one:
# it would need a letter like 'Ã' followed by one to three symbols from 0x80-0xBF.
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_LEAD_AND_CONTINUATION = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")  # how every one begins


def check_text(path: Path) -> None:
    """Refuse a file that is not text in a readable encoding, naming its line.

    Without this, cp1252 (which maps nearly every byte) would "decode" UTF-16 or a binary file
    into a garbled header, reported as a missing column. One pass, chunked, at C speed.
    """
    lines = 0
    with path.open("rb") as handle:
        head = handle.read(4)
        if name := foreign_bom(head):
            raise InputError(
                f"undecodable: unsupported encoding {name} (byte-order mark); {SUPPORTED}",
                file=path,
                line=1,
            )
        handle.seek(0)
        while chunk := handle.read(_CHUNK):
            found = _BINARY.search(chunk)
            if found:
                byte = chunk[found.start()]
                raise InputError(
                    f"undecodable: byte 0x{byte:02x} is binary data, not text in a supported "
                    f"encoding (UTF-8, cp1252); {SUPPORTED}",
                    file=path,
                    line=lines + chunk.count(b"\n", 0, found.start()) + 1,
                )
            lines += chunk.count(b"\n")


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) when the whole file decodes as UTF-8, else cp1252.

    A file with a UTF-8 BOM or a valid multi-byte UTF-8 sequence that does not decode as a
    whole is refused as mixed encodings rather than read as cp1252.

    Checked in chunks with an incremental decoder, so memory stays flat on large files.
    """
    with path.open("rb") as handle:
        encoding = "utf-8-sig" if handle.read(3) == codecs.BOM_UTF8 else "utf-8"
    invalid_utf8 = _decodes(path, encoding)
    if invalid_utf8 is None:
        return encoding
    if encoding == "utf-8-sig" or _has_utf8_sequence(path):
        # Valid UTF-8 next to invalid bytes: reading it all as cp1252 would garble every
        # accented UTF-8 name silently, so refuse at the first invalid byte instead.
        raise InputError(
            "mixed encodings: the file holds UTF-8 text and bytes that are not UTF-8 (a stray "
            "cp1252 character?); save it in one encoding (or set `encoding` in source.yaml)",
            file=path,
            line=invalid_utf8,
        )
    failure = _decodes(path, "cp1252")
    if failure is not None:
        raise InputError(
            "undecodable: cannot decode the file as UTF-8 or cp1252 (set `encoding` in "
            "source.yaml)",
            file=path,
            line=failure,
        )
    return "cp1252"


def _has_utf8_sequence(path: Path) -> bool:
    """True when ``path`` holds at least one well-formed multi-byte UTF-8 sequence."""
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            text = tail + chunk
            # the plain pair is found at C speed; only a chunk that holds one needs the full test
            if _LEAD_AND_CONTINUATION.search(text) and _UTF8_MULTIBYTE.search(text):
                return True
            tail = chunk[-3:]  # a sequence may straddle the chunk boundary
    return False


def _decodes(path: Path, encoding: str) -> int | None:
    """None when ``path`` decodes cleanly, else the line of the first bad byte."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                return lines + chunk.count(b"\n", 0, err.start) + 1
            lines += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return lines + 1
    return None


def _detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


class _Lines:
    """The file's physical lines for the csv reader, each at most MAX_LINE_CHARS long.

    ``first`` is the first line read since it was last reset to None: the first line of the
    record the csv reader is reading, kept to recover a broken record's leading values.
    """

    def __init__(self, handle: TextIO, path: Path) -> None:
        self.handle = handle
        self.path = path
        self.number = 0
        self.first: str | None = None

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self.handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            raise StopIteration
        self.number += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            raise InputError(
                f"line longer than {MAX_LINE_CHARS:,} characters: not a row of an HR export",
                file=self.path,
                line=self.number,
            )
        if self.first is None:
            self.first = line
        return line


def read_csv(
    path: Path,
    only: RowFilter | None = None,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    checked: bool = False,
) -> Export:
    """Open a CSV export: its headers read, its rows a stream (``only``: the rows this filter
    wants, asked once for each row that does not hide rows, and every row that does).
    ``checked``: the file was checked to be text (``check_text``) when it was opened
    before."""
    if not checked:
        check_text(path)
    enc = encoding or detect_encoding(path)
    handle = path.open(encoding=enc, newline="", errors="strict")
    lines = _Lines(handle, path)
    # A field may be as long as a line; a longer one (a quote never closed) is a broken record.
    csv.field_size_limit(MAX_LINE_CHARS)
    try:
        first = ""
        for first in lines:
            if first.strip():
                break
        if not first.strip():
            raise InputError("the export is empty (no header line)", file=path, line=1)
        delim = delimiter or _detect_delimiter(first)
        handle.seek(0)
        lines.number = 0
        # strict: a quote that is not closed where it should be is an error, not a swallowed row
        reader = csv.reader(lines, delimiter=delim, quotechar='"', strict=True)
        headers: list[str] = []
        header_line = 0
        for cells in reader:
            if any(c.strip() for c in cells):
                headers = [c.strip() for c in cells]
                header_line = reader.line_num
                break
        check_headers(headers, path, header_line)
    except UnicodeDecodeError as err:
        handle.close()
        raise InputError(f"cannot decode the file as {enc}: {err.reason}", file=path) from None
    except csv.Error as err:
        handle.close()
        raise InputError(f"malformed CSV header: {err}", file=path, line=lines.number) from None
    except InputError:
        handle.close()
        raise
    return Export(
        path=path,
        format="csv",
        headers=tuple(headers),
        rows=_rows(reader, lines, headers, delim, enc, only),
        header_line=header_line,
        _close=handle.close,
        reopen=functools.partial(read_csv, path, encoding=enc, delimiter=delim, checked=True),
    )


def _rows(
    reader: Any, lines: _Lines, headers: list[str], delim: str, enc: str, only: RowFilter | None
) -> Iterator[RawRow]:
    width = len(headers)
    position, wanted = (headers.index(only[0]), only[1]) if only else (width, None)
    try:
        with lines.handle:
            for start, end, cells, broken in _records(reader, lines, delim):
                if not "".join(cells).strip() and broken is None:
                    continue
                if len(cells) > width and not "".join(cells[width:]).strip():
                    cells = cells[:width]  # trailing delimiters are not raggedness
                error = broken or _swallowed(cells, start, end, delim)
                hides_rows = error is not None and end > start  # it may hold rows
                value = cells[position] if position < len(cells) else None
                if wanted and not hides_rows and not wanted(value):
                    continue  # a row the filter drops is not built
                values: dict[str, str | None] = dict(zip(headers, cells, strict=False))
                for h in headers[len(cells) :]:
                    values[h] = None
                if error is not None:
                    yield RawRow(line=start, values=values, error=error, hides_rows=hides_rows)
                elif len(cells) != width:
                    error = f"ragged row: {len(cells)} fields, the header has {width}"
                    yield RawRow(line=start, values=values, error=error)
                else:
                    yield RawRow(line=start, values=values)
    except UnicodeDecodeError as err:
        raise InputError(
            f"cannot decode the file as {enc}: {err.reason}", file=lines.path, line=lines.number
        ) from None


def _records(
    reader: Any, lines: _Lines, delim: str
) -> Iterator[tuple[int, int, list[str], str | None]]:
    """Each record as (first line, last line, cells, what broke it).

    The reader is strict, so an unclosed or misplaced quote raises; the reader then goes on
    at the next line, and the broken record keeps the values its first line holds.
    """
    while True:
        lines.first = None
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            end = reader.line_num
            leading = next(csv.reader([lines.first or ""], delimiter=delim), [])
            yield start, end, leading, _broken_quote(str(err), start, end)
            continue
        yield start, reader.line_num, cells, None


def _broken_quote(error: str, start: int, end: int) -> str:
    if error.startswith("unexpected end of data"):
        read = f": lines {start}-{end} read as one field" if end > start else ""
        return f'a quote (") at line {start} is never closed{read}'
    if end > start:
        return (
            f"broken quoting at line {end} ({error}): a quoted field from line {start} "
            f"swallowed lines {start}-{end}"
        )
    return f"broken quoting ({error})"


def _swallowed(cells: list[str], start: int, end: int, delim: str) -> str | None:
    """Why a well-quoted record looks like swallowed rows, if it does.

    A quoted field may hold a line break (an address); one whose later lines hold the
    delimiter holds rows instead, closed by some later quote.
    """
    if end == start:
        return None
    for cell in cells:
        _, newline, rest = cell.replace("\r", "\n").partition("\n")
        if newline and delim in rest:
            return (
                f"a quoted field from line {start} to line {end} holds rows ({delim!r} after a "
                f"line break): a quote at line {start} is not closed where it should be"
            )
    return None
