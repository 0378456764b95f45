"""CSV exports: UTF-8, UTF-8 with BOM or cp1252; `,` `;` or tab; quoted fields; ragged rows."""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from reconciler.errors import InputError
from reconciler.render.sources.base import (
    SUPPORTED,
    Export,
    RawRow,
    foreign_bom,
    refuse_duplicate_headers,
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
            if _UTF8_MULTIBYTE.search(tail + chunk):
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


def read_csv(path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> Export:
    check_text(path)
    enc = encoding or detect_encoding(path)
    handle = path.open(encoding=enc, newline="", errors="strict")
    try:
        first = ""
        for first in handle:
            if first.strip():
                break
        if not first.strip():
            handle.close()
            raise InputError("the export is empty (no header line)", file=path, line=1)
        delim = delimiter or _detect_delimiter(first)
        handle.seek(0)
        reader = csv.reader(handle, delimiter=delim, quotechar='"', strict=False)
        headers: list[str] = []
        header_line = 0
        for cells in reader:
            if any(c.strip() for c in cells):
                headers = [c.strip() for c in cells]
                header_line = reader.line_num
                break
    except UnicodeDecodeError as err:
        handle.close()
        raise InputError(f"cannot decode the file as {enc}: {err.reason}", file=path) from None
    except csv.Error as err:
        handle.close()
        raise InputError(f"malformed CSV: {err}", file=path, line=1) from None
    try:
        refuse_duplicate_headers(headers, path, header_line)
    except InputError:
        handle.close()
        raise
    return Export(
        path=path,
        format="csv",
        headers=tuple(headers),
        rows=_rows(reader, headers, path, handle, enc),
        header_line=header_line,
        _close=handle.close,
    )


def _rows(
    reader: Any, headers: list[str], path: Path, handle: TextIO, enc: str
) -> Iterator[RawRow]:
    width = len(headers)
    line_num: int = reader.line_num
    try:
        with handle:
            for cells in reader:
                start = line_num + 1
                line_num = reader.line_num
                if not "".join(cells).strip():
                    continue
                if len(cells) > width and not "".join(cells[width:]).strip():
                    cells = cells[:width]  # trailing delimiters are not raggedness
                values: dict[str, str | None] = dict(zip(headers, cells, strict=False))
                error = None
                if len(cells) != width:
                    error = f"ragged row: {len(cells)} fields, the header has {width}"
                    for h in headers[len(cells) :]:
                        values[h] = None
                yield RawRow(line=start, values=values, error=error)
    except UnicodeDecodeError as err:
        raise InputError(
            f"cannot decode the file as {enc}: {err.reason}", file=path, line=line_num + 1
        ) from None
    except csv.Error as err:
        raise InputError(f"malformed CSV: {err}", file=path, line=line_num + 1) from None
