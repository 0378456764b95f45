"""XLSX exports through openpyxl's read-only (streaming) mode, within limits.

An XLSX file is a zip of XML parts: before openpyxl opens it, the zip's declared sizes and
compression ratios are checked (zipfile reads no more than a member declares), and the sheets
and the shared-strings table are streamed once to bound what openpyxl would hold in memory.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

from reconciler.errors import InputError
from reconciler.render.sources.base import Export, RawRow, cell_text, check_headers

MAX_UNPACKED = 256 << 20  # all members together, as the zip declares them
MAX_RATIO = 100  # unpacked / packed size of a member over 1 MiB (real sheets: about 10)
MAX_PART = 32 << 20  # one XML part other than a sheet (shared strings, styles, …)
MAX_SHARED_STRINGS = 500_000  # entries of the shared-strings table openpyxl keeps in memory
MAX_ROW_BYTES = 1 << 20  # the XML of one row
MAX_ROWS = 1_048_576  # a worksheet's own limit
_MEMBERS = 10_000
_CHUNK = 1 << 20
_ROW_OR_END = re.compile(rb"<(?:\w+:)?row[\s>/]|</(?:\w+:)?sheetData>")
_STRING_ITEM = re.compile(rb"<(?:\w+:)?si[\s>/]")

# What a damaged sheet raises: XML parse errors (SyntaxError subclasses, also lxml's), zip and
# deflate errors for a cut or corrupt member.
_DAMAGED = (SyntaxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, ValueError)


def _text(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return cell_text(value)


def check_archive(path: Path) -> None:
    """Refuse a workbook that would unpack beyond the limits: a zip bomb, a huge row or
    shared-strings table. Reads every sheet once, compressed data only in memory."""
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > _MEMBERS:
                raise InputError(f"a workbook of {len(members):,} parts is no export", file=path)
            total = sum(m.file_size for m in members)
            if total > MAX_UNPACKED:
                raise InputError(
                    f"unpacks to {_size(total)}, more than the limit of {_size(MAX_UNPACKED)} "
                    "(save a large export as CSV)",
                    file=path,
                )
            for member in members:
                _check_member(archive, member, path)
    except _DAMAGED as err:
        raise InputError(f"not a readable XLSX workbook: {err}", file=path) from None


def _size(count: int) -> str:
    return f"{count / (1 << 20):,.0f} MiB" if count >= 1 << 20 else f"{count:,} bytes"


def _check_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path) -> None:
    name = member.filename.lower()
    if member.file_size > 1 << 20 and member.file_size > MAX_RATIO * member.compress_size:
        ratio = member.file_size // max(member.compress_size, 1)
        raise InputError(
            f"{member.filename} unpacks to {ratio:,} times its packed size, more than "
            f"{MAX_RATIO} (a zip bomb?)",
            file=path,
        )
    if name.startswith("xl/worksheets/") and name.endswith(".xml"):
        _check_rows(archive, member, path)
    elif name.endswith((".xml", ".rels")) and member.file_size > MAX_PART:
        raise InputError(
            f"{member.filename} unpacks to {_size(member.file_size)}, more than the limit of "
            f"{_size(MAX_PART)} for a part of a workbook",
            file=path,
        )
    if name == "xl/sharedstrings.xml":
        _check_strings(archive, member, path)


def _check_rows(archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path) -> None:
    """No row's XML is longer than MAX_ROW_BYTES (openpyxl builds a whole row in memory)."""
    rows = 0
    start = 0  # where the current row began, in the unpacked stream
    offset = 0
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            data = tail + chunk
            base = offset - len(tail)
            for found in _ROW_OR_END.finditer(data):
                if found.end() <= len(tail):
                    continue  # seen in the previous chunk
                if base + found.start() - start > MAX_ROW_BYTES:
                    raise _row_too_long(member, rows, path)
                if found.group().startswith(b"</"):
                    return  # the rows end here; what follows is no row
                rows, start = rows + 1, base + found.start()
            offset += len(chunk)
            if offset - start > MAX_ROW_BYTES:
                raise _row_too_long(member, rows, path)
            tail = data[-64:]


def _row_too_long(member: zipfile.ZipInfo, rows: int, path: Path) -> InputError:
    return InputError(
        f"a row of more than {_size(MAX_ROW_BYTES)} of XML in {member.filename}",
        file=path,
        line=rows or None,
    )


def _check_strings(archive: zipfile.ZipFile, member: zipfile.ZipInfo, path: Path) -> None:
    """The shared-strings table, which openpyxl reads whole, has at most MAX_SHARED_STRINGS."""
    count = 0
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            data = tail + chunk
            count += sum(1 for m in _STRING_ITEM.finditer(data) if m.end() > len(tail))
            if count > MAX_SHARED_STRINGS:
                raise InputError(
                    f"the shared-strings table holds more than {MAX_SHARED_STRINGS:,} strings "
                    "(save a large export as CSV)",
                    file=path,
                )
            tail = data[-64:]


def read_xlsx(path: Path, *, sheet: str | None = None) -> Export:
    check_archive(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except _DAMAGED as err:
        raise InputError(f"not a readable XLSX workbook: {err}", file=path) from None
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise InputError(f"no sheet named {sheet!r} (sheets: {book.sheetnames})", file=path)
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    if not hasattr(ws, "reset_dimensions"):
        book.close()
        raise InputError(f"sheet {ws.title!r} is a chart, not a worksheet", file=path)
    ws.reset_dimensions()  # a row is as wide as its cells, whatever the sheet declares
    rows = ws.iter_rows(values_only=True)
    headers: list[str] = []
    header_line = 0
    try:
        for index, cells in enumerate(rows, start=1):
            _check_row_count(index, path)
            if any(c is not None and str(c).strip() for c in cells):
                headers = [str(c).strip() if c is not None else "" for c in cells]
                header_line = index
                break
    except _DAMAGED as err:
        book.close()
        raise InputError(
            f"not a readable XLSX workbook: {type(err).__name__}: {err}", file=path, line=1
        ) from None
    except InputError:
        book.close()
        raise
    if not headers:
        book.close()
        raise InputError("the workbook is empty (no header row)", file=path, line=1)
    while headers and not headers[-1]:
        headers.pop()
    try:
        check_headers(headers, path, header_line)
    except InputError:
        book.close()
        raise
    return Export(
        path=path,
        format="xlsx",
        headers=tuple(headers),
        rows=_rows(rows, headers, header_line, book, path),
        header_line=header_line,
        serial_dates=True,
        _close=book.close,
    )


def _check_row_count(index: int, path: Path) -> None:
    if index > MAX_ROWS:  # a row number no worksheet has: the gap before it reads as rows
        raise InputError(
            f"more than {MAX_ROWS:,} rows, more than a worksheet holds", file=path, line=index
        )


def _rows(
    rows: Iterator[tuple[Any, ...]], headers: list[str], header_line: int, book: Any, path: Path
) -> Iterator[RawRow]:
    index = header_line
    try:
        for index, cells in enumerate(rows, start=header_line + 1):
            _check_row_count(index, path)
            texts = [_text(c) for c in cells]
            if not any(texts):
                continue
            values = {h: (texts[i] if i < len(texts) else None) for i, h in enumerate(headers)}
            extra = [t for t in texts[len(headers) :] if t]
            error = (
                f"ragged row: values beyond the {len(headers)} headed columns" if extra else None
            )
            yield RawRow(line=index, values=values, error=error)
    except _DAMAGED as err:  # the sheet is parsed lazily: damage shows up while streaming
        raise InputError(
            f"not a readable XLSX workbook: {type(err).__name__}: {err}", file=path, line=index + 1
        ) from None
    finally:
        book.close()
