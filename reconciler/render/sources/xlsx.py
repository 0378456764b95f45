"""XLSX exports through openpyxl's read-only (streaming) mode."""

from __future__ import annotations

import zipfile
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl

from reconciler.errors import InputError
from reconciler.render.sources.base import Export, RawRow, cell_text, check_headers

# What a damaged sheet raises: XML parse errors (SyntaxError subclasses, also lxml's), zip and
# deflate errors for a cut or corrupt member.
_DAMAGED = (SyntaxError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, OSError, ValueError)


def _text(value: Any) -> str | None:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return cell_text(value)


def read_xlsx(path: Path, *, sheet: str | None = None) -> Export:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except _DAMAGED as err:
        raise InputError(f"not a readable XLSX workbook: {err}", file=path) from None
    if sheet is not None and sheet not in book.sheetnames:
        book.close()
        raise InputError(f"no sheet named {sheet!r} (sheets: {book.sheetnames})", file=path)
    ws = book[sheet] if sheet is not None else book.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    headers: list[str] = []
    header_line = 0
    try:
        for index, cells in enumerate(rows, start=1):
            if any(c is not None and str(c).strip() for c in cells):
                headers = [str(c).strip() if c is not None else "" for c in cells]
                header_line = index
                break
    except _DAMAGED as err:
        book.close()
        raise InputError(
            f"not a readable XLSX workbook: {type(err).__name__}: {err}", file=path, line=1
        ) from None
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


def _rows(
    rows: Iterator[tuple[Any, ...]], headers: list[str], header_line: int, book: Any, path: Path
) -> Iterator[RawRow]:
    index = header_line
    try:
        for index, cells in enumerate(rows, start=header_line + 1):
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
