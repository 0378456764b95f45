"""JSON exports: a list of records, or a list under a key. ``line`` is the record number.

Read within limits: nesting, number literals and the keys over all records are capped, and
NaN or Infinity (which Python's parser accepts, JSON does not) are refused.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from reconciler.errors import InputError
from reconciler.render.sources.base import (
    MAX_COLUMNS,
    Export,
    RawRow,
    cell_text,
    foreign_bom,
)

MAX_DEPTH = 64  # arrays and objects inside each other (a record list needs 2 or 3)
MAX_NUMBER_CHARS = 100  # one number literal: an id, a date serial, a phone

# JSON may escape half a surrogate pair ("\ud83d" alone, e.g. a name cut inside an emoji); no
# UTF-8 file can hold that, so it would only fail later, when the users shards are written.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# A string literal on one line (JSON has no raw line break in a string), and the brackets.
_STRING = re.compile(r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"')
_BRACKET = re.compile(r"[\[\]{}]")


class _Refused(Exception):
    """A number JSON does not allow or our limits refuse; ``token`` is its text."""

    def __init__(self, message: str, token: str) -> None:
        super().__init__(message)
        self.message = message
        self.token = token


def _constant(text: str) -> Any:
    raise _Refused(f"{text} is not a number JSON allows", text)


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(
            f"a number of {len(text):,} characters (the limit is {MAX_NUMBER_CHARS})", text
        )
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(
            f"a number of {len(text):,} characters (the limit is {MAX_NUMBER_CHARS})", text
        )
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text} is out of range", text)
    return value


def _skeleton(text: str, path: Path) -> str:
    """The text with every string literal emptied (lines kept), after checking its depth."""
    skeleton = _STRING.sub('""', text)
    depth = 0
    for bracket in _BRACKET.finditer(skeleton):
        if bracket.group() in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = skeleton.count("\n", 0, bracket.start()) + 1
                raise InputError(
                    f"JSON nested more than {MAX_DEPTH} levels deep", file=path, line=line
                )
        else:
            depth -= 1
    return skeleton


def read_json(path: Path, *, key: str | None = None) -> Export:
    raw = path.read_bytes()
    if name := foreign_bom(raw[:4]):
        raise InputError(
            f"undecodable: unsupported encoding {name} (byte-order mark); save it as UTF-8",
            file=path,
            line=1,
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise InputError(
            f"undecodable: the JSON export is not UTF-8 ({err.reason})", file=path, line=line
        ) from None
    del raw
    skeleton = _skeleton(text, path)
    try:
        data = json.loads(text, parse_constant=_constant, parse_int=_int, parse_float=_float)
    except json.JSONDecodeError as err:
        raise InputError(f"invalid JSON: {err.msg}", file=path, line=err.lineno) from None
    except _Refused as err:
        at = re.search(rf"(?<![\w.+-]){re.escape(err.token)}(?![\w.+-])", skeleton)
        where = skeleton.count("\n", 0, at.start()) + 1 if at else None
        raise InputError(err.message, file=path, line=where) from None
    del skeleton, text
    records = _records(data, key, path)
    headers: dict[str, None] = {}
    for number, record in enumerate(records, start=1):
        if isinstance(record, Mapping):
            headers.update(dict.fromkeys(str(k) for k in record))
            if len(headers) > MAX_COLUMNS:
                raise InputError(
                    f"the records hold more than {MAX_COLUMNS:,} different keys (columns)",
                    file=path,
                    line=number,
                )
    return Export(path=path, format="json", headers=tuple(headers), rows=_rows(records))


def _records(data: Any, key: str | None, path: Path) -> list[Any]:
    if key is not None:
        if not isinstance(data, Mapping) or not isinstance(data.get(key), list):
            raise InputError(f"no list of records under key {key!r}", file=path, field=key)
        return list(data[key])
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping):
        lists = [k for k, v in data.items() if isinstance(v, list)]
        if len(lists) == 1:
            return list(data[lists[0]])
    raise InputError("expected a list of records (set `json_key` in source.yaml)", file=path)


def _rows(records: list[Any]) -> Iterator[RawRow]:
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            yield RawRow(line=number, values={}, error="record is not an object")
            continue
        values: dict[str, str | None] = {}
        error = None
        for k, v in record.items():
            if isinstance(v, (dict, list)):
                error = f"field {k!r} holds a nested value"
                values[str(k)] = None
            elif isinstance(v, str) and _LONE_SURROGATE.search(v):
                error = f"undecodable: field {k!r} holds half a UTF-16 surrogate pair"
                values[str(k)] = None
            else:
                values[str(k)] = cell_text(v)
        yield RawRow(line=number, values=values, error=error)
