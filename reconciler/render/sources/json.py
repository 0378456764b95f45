"""JSON exports: a list of records, or a list under a key. ``line`` is the record number."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from reconciler.errors import InputError
from reconciler.render.sources.base import Export, RawRow, cell_text, foreign_bom

# JSON may escape half a surrogate pair ("\ud83d" alone, e.g. a name cut inside an emoji); no
# UTF-8 file can hold that, so it would only fail later, when the users shards are written.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def read_json(path: Path, *, key: str | None = None) -> Export:
    raw = path.read_bytes()
    if name := foreign_bom(raw[:4]):
        raise InputError(
            f"undecodable: unsupported encoding {name} (byte-order mark); save it as UTF-8",
            file=path,
            line=1,
        )
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        line = raw.count(b"\n", 0, err.start) + 1
        raise InputError(
            f"undecodable: the JSON export is not UTF-8 ({err.reason})", file=path, line=line
        ) from None
    except json.JSONDecodeError as err:
        raise InputError(f"invalid JSON: {err.msg}", file=path, line=err.lineno) from None
    records = _records(data, key, path)
    headers: dict[str, None] = {}
    for record in records:
        if isinstance(record, Mapping):
            headers.update(dict.fromkeys(str(k) for k in record))
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
