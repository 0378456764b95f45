"""HR exports (CSV, XLSX, JSON) read as a stream of raw rows.

Every reader yields :class:`RawRow` values: the row's line (the record number for JSON), the
values by column header, and an error when the row itself is malformed (a ragged CSV row).
Problems with the file as a whole (encoding, a missing column, an unknown format) raise
:class:`~reconciler.errors.InputError`.
"""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.config import SourceConfig
from reconciler.errors import InputError
from reconciler.render.sources.base import Export, RawRow
from reconciler.render.sources.csv import read_csv
from reconciler.render.sources.json import read_json
from reconciler.render.sources.xlsx import read_xlsx

__all__ = ["Export", "RawRow", "open_export"]

_BY_SUFFIX = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".json": "json"}


def open_export(path: Path, source: SourceConfig) -> Export:
    """Open an HR export, check that every configured column is present, and stream its rows."""
    fmt = source.format or _BY_SUFFIX.get(path.suffix.lower())
    if fmt is None:
        raise InputError(f"unknown export format {path.suffix!r} (set `format` in source.yaml)")
    if not path.is_file():
        raise InputError("file not found", file=path)
    if fmt == "csv":
        export = read_csv(path, encoding=source.encoding, delimiter=source.delimiter)
    elif fmt == "xlsx":
        export = read_xlsx(path, sheet=source.sheet)
    else:
        export = read_json(path, key=source.json_key)
    _check_columns(export, source)
    return export


def _check_columns(export: Export, source: SourceConfig) -> None:
    present = set(export.headers)
    for fld, header in source.field_columns().items():
        if header not in present:
            export.close()
            raise InputError(
                f"missing required column {header!r} (source.yaml maps it to {fld})",
                file=export.path,
                line=export.header_line,
                field=header,
            )
