"""A CSV that is mostly UTF-8 but holds one stray cp1252 byte (an export pasted together from
two tools) is refused naming the line of the first invalid byte, never read entirely as cp1252
with every accented UTF-8 name garbled ("Zoë" as "ZoÃ«"); pure cp1252 and pure UTF-8 (with or
without BOM) are read."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.desired.config import SourceConfig
from reconciler.errors import InputError
from reconciler.render.sources import open_export

SOURCE = SourceConfig(columns={"employee_id": "id", "given_name": "first", "family_name": "last"})
HEADER = "id;first;last\r\n"


def _names(path: Path) -> list[tuple[str | None, str | None]]:
    export = open_export(path, SOURCE)
    try:
        return [(r.values["first"], r.values["last"]) for r in export.rows]
    finally:
        export.close()


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_a_utf8_export_with_one_stray_cp1252_byte_is_refused_naming_its_line(
    tmp_path: Path, bom: bytes
) -> None:
    path = tmp_path / "export.csv"
    body = HEADER.encode() + "1;Zoë;Öztürk\r\n2;Jan;Jansen\r\n".encode()
    body += "3;René;".encode("cp1252") + b"M\xfcller\r\n" + "4;Chloé;Noël\r\n".encode()
    path.write_bytes(bom + body)
    with pytest.raises(InputError) as caught:
        _names(path)
    assert caught.value.message.startswith("mixed encodings: ")
    assert caught.value.file == str(path)
    assert caught.value.line == 4


def test_a_pure_cp1252_export_is_still_read_as_cp1252(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes((HEADER + "1;Zoë;Öztürk\r\n2;René;Müller’s\r\n").encode("cp1252"))
    assert _names(path) == [("Zoë", "Öztürk"), ("René", "Müller’s")]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_a_pure_utf8_export_is_still_read_as_utf8(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes((HEADER + "1;Zoë;Öztürk\r\n2;René;Müller\r\n").encode(encoding))
    assert _names(path) == [("Zoë", "Öztürk"), ("René", "Müller")]


def test_a_utf8_sequence_split_across_read_chunks_still_counts_as_utf8(tmp_path: Path) -> None:
    from reconciler.render.sources import csv as csv_source

    path = tmp_path / "export.csv"
    target = csv_source._CHUNK - 1
    filler = b"1;a;b\r\n" * ((target - len(HEADER) - 10) // 7)
    prefix = HEADER.encode() + filler
    prefix += b"9;" + b"a" * (target - len(prefix) - 2)
    path.write_bytes(prefix + "é;X\r\n2;".encode() + b"M\xfcller;Y\r\n")
    assert len(prefix) == csv_source._CHUNK - 1  # the é straddles the first chunk boundary
    with pytest.raises(InputError, match="mixed encodings"):
        _names(path)
