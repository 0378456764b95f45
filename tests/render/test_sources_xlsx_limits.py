"""An XLSX export is read within limits: the zip's declared sizes and compression ratios are
checked before openpyxl opens it, and rows, their XML and the shared-strings table are capped.
Each hostile workbook is one error naming the file, never gigabytes of memory."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from reconciler.desired.config import SourceConfig
from reconciler.errors import InputError
from reconciler.render.sources import open_export, xlsx
from tests.render.xlsx_parts import cells, shared_strings, workbook

SOURCE = SourceConfig(columns={"employee_id": "id", "given_name": "first", "family_name": "last"})
HEADER = cells(1, ["id", "first", "last"])


def refused(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        list(open_export(path, SOURCE).rows)
    assert caught.value.file == str(path)
    return caught.value


def test_the_limits_are_those_documented() -> None:
    assert (xlsx.MAX_UNPACKED, xlsx.MAX_RATIO, xlsx.MAX_PART) == (256 << 20, 100, 32 << 20)
    assert (xlsx.MAX_SHARED_STRINGS, xlsx.MAX_ROW_BYTES, xlsx.MAX_ROWS) == (
        500_000,
        1 << 20,
        1_048_576,
    )


def test_a_member_that_inflates_like_a_zip_bomb_is_refused_unread(tmp_path: Path) -> None:
    path = workbook(tmp_path / "bomb.xlsx", HEADER + " " * (8 << 20))
    error = refused(path)
    assert error.message.startswith("xl/worksheets/sheet1.xml unpacks to ")
    assert error.message.endswith("times its packed size, more than 100 (a zip bomb?)")


def test_a_workbook_larger_unpacked_than_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "MAX_UNPACKED", 4096)
    path = workbook(tmp_path / "big.xlsx", HEADER + cells(2, ["1", "x" * 4000, "y"]))
    error = refused(path)
    assert error.message.startswith("unpacks to ")
    assert error.message.endswith(
        "bytes, more than the limit of 4,096 bytes (save a large export as CSV)"
    )


def test_declared_sizes_bound_what_is_read(tmp_path: Path) -> None:
    path = workbook(tmp_path / "lying.xlsx", HEADER + cells(2, ["1", "Jan", "Jansen"]))
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        member = archive.getinfo("xl/worksheets/sheet1.xml")
    # The central directory says the sheet unpacks to 10 bytes: zipfile reads no more, and the
    # checksum of what it read fails.
    directory = raw.rfind(b"PK\x01\x02", 0, raw.rfind(b"xl/worksheets/sheet1.xml"))
    raw[directory + 24 : directory + 28] = (10).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    assert member.file_size > 10
    assert refused(path).message.startswith("not a readable XLSX workbook")


def test_a_shared_strings_table_beyond_the_limit_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "MAX_SHARED_STRINGS", 1000)
    path = workbook(tmp_path / "strings.xlsx", HEADER, shared=shared_strings(1001))
    assert refused(path).message.startswith("the shared-strings table holds more than 1,000")
    workbook(path, HEADER, shared=shared_strings(1000))
    assert list(open_export(path, SOURCE).rows) == []


def test_a_row_of_more_xml_than_the_limit_is_refused_at_its_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(xlsx, "MAX_ROW_BYTES", 20_000)
    rows = HEADER + cells(2, ["1", "Jan", "Jansen"]) + cells(3, ["x"] * 1000)
    error = refused(workbook(tmp_path / "row.xlsx", rows))
    assert (error.line, error.message) == (
        3,
        "a row of more than 20,000 bytes of XML in xl/worksheets/sheet1.xml",
    )


def test_a_forged_dimension_does_not_widen_or_narrow_the_rows(tmp_path: Path) -> None:
    rows = HEADER + "".join(cells(n, [str(n), "Jan", "Jansen"]) for n in range(2, 5))
    for dimension in ("A1", "A1:XFD1048576"):
        path = workbook(tmp_path / "dim.xlsx", rows, dimension=dimension)
        read = [(r.line, r.values, r.error) for r in open_export(path, SOURCE).rows]
        assert read == [
            (n, {"id": str(n), "first": "Jan", "last": "Jansen"}, None) for n in range(2, 5)
        ]


def test_a_row_number_beyond_a_worksheet_is_refused_without_reading_the_gap(
    tmp_path: Path,
) -> None:
    far = '<row r="999999999"><c r="A999999999" t="inlineStr"><is><t>1</t></is></c></row>'
    error = refused(workbook(tmp_path / "gap.xlsx", HEADER + far))
    assert (error.line, error.message) == (
        1_048_577,
        "more than 1,048,576 rows, more than a worksheet holds",
    )
