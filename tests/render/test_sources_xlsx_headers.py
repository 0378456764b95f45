"""A workbook with one header twice is refused naming the column, as a CSV is; the later
column never silently wins (two "E-mail" columns: private and work address)."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from reconciler.desired.config import SourceConfig
from reconciler.errors import InputError
from reconciler.render.sources import open_export

SOURCE = SourceConfig(
    columns={"employee_id": "id", "given_name": "first", "family_name": "last", "email": "email"}
)


def _workbook(path: Path, header: list[str], *rows: list[object]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([])  # an empty first row: the header is the first row with a value
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_an_export_with_the_email_column_twice_is_refused_naming_it(
    tmp_path: Path, suffix: str
) -> None:
    header = ["id", "first", "last", "email", "email"]
    row: list[object] = ["1", "Jan", "Jansen", "jan@home.example", "jan@work.example"]
    if suffix == "xlsx":
        path, header_line = _workbook(tmp_path / "export.xlsx", header, row), 2
    else:
        path, header_line = tmp_path / "export.csv", 1
        path.write_text("\n".join([";".join(header), ";".join(map(str, row))]), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        open_export(path, SOURCE)
    assert "duplicate column 'email'" in caught.value.message
    assert (caught.value.line, caught.value.field) == (header_line, "email")


def test_a_workbook_with_empty_header_cells_between_columns_is_still_read(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "export.xlsx", ["id", "", "first", "", "last", "email"])
    export = open_export(path, SOURCE)
    assert export.headers == ("id", "", "first", "", "last", "email")
    export.close()
