"""HR exports: CSV encodings and delimiters, XLSX numbers and dates, JSON shapes, bad files."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from reconciler.desired.config import SourceConfig
from reconciler.errors import InputError
from reconciler.render.normalize import normalize_row
from reconciler.render.sources import open_export

SOURCE = SourceConfig(
    columns={
        "employee_id": "id",
        "given_name": "first",
        "family_name": "last",
        "start_date": "start",
    }
)


def rows_of(path: Path, source: SourceConfig = SOURCE) -> list[tuple[int, dict[str, str | None]]]:
    export = open_export(path, source)
    return [(r.line, r.values) for r in export.rows]


@pytest.mark.parametrize(
    ("encoding", "delimiter"),
    [("utf-8", ","), ("utf-8-sig", ";"), ("cp1252", ";"), ("cp1252", "\t"), ("utf-8", "\t")],
)
def test_csv_encoding_and_delimiter_are_detected(
    tmp_path: Path, encoding: str, delimiter: str
) -> None:
    text = delimiter.join(["id", "first", "last", "start"]) + "\r\n"
    text += delimiter.join(["007", "Zoë", "Öztürk", "01-02-2020"]) + "\r\n"
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode(encoding))
    assert rows_of(path) == [
        (2, {"id": "007", "first": "Zoë", "last": "Öztürk", "start": "01-02-2020"})
    ]


def test_csv_quoted_fields_keep_delimiters_and_newlines_and_lines_stay_right(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        'id,first,last,start\n1,"Jan, Piet","van\nDijk",\n\n2,Eva,"de ""Boer""",\n',
        encoding="utf-8",
    )
    assert rows_of(path) == [
        (2, {"id": "1", "first": "Jan, Piet", "last": "van\nDijk", "start": ""}),
        (5, {"id": "2", "first": "Eva", "last": 'de "Boer"', "start": ""}),
    ]


def test_a_ragged_row_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id;first;last;start\n1;Jan;Jansen;\n2;Eva\n3;A;B;;\n", encoding="utf-8")
    rows = list(open_export(path, SOURCE).rows)
    assert [(r.line, r.error) for r in rows] == [
        (2, None),
        (3, "ragged row: 2 fields, the header has 4"),
        (4, None),  # a trailing empty field is not raggedness
    ]


def test_an_undecodable_file_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(b"id;first;last;start\n1;Jan;Jansen;\n2;\x81\x8d;X;\n")
    with pytest.raises(InputError) as caught:
        open_export(path, SOURCE)
    assert caught.value.line == 3
    assert "cannot decode" in caught.value.message


def test_a_missing_required_column_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("id;first;start\n1;Jan;\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        open_export(path, SOURCE)
    assert str(caught.value) == (
        f"{path}:1: missing required column 'last' (source.yaml maps it to family_name)"
        " (field 'last')"
    )


def test_an_empty_file_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("\n\n", encoding="utf-8")
    with pytest.raises(InputError, match="empty"):
        open_export(path, SOURCE)


def test_xlsx_restores_numeric_ids_and_reads_serial_and_real_dates(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "first", "last", "start"])
    sheet.append([1234.0, "Jan", "Jansen", 43831])  # Excel turned the id into a number
    sheet.append([5678, "Eva", "de Boer", datetime(2021, 5, 3)])
    path = tmp_path / "export.xlsx"
    book.save(path)
    export = open_export(path, SOURCE)
    rows = [normalize_row(r, SOURCE, serial_dates=export.serial_dates) for r in export.rows]
    assert [(r.line, r.employee_id, r.start_date) for r in rows] == [
        (2, "1234", date(2020, 1, 1)),
        (3, "5678", date(2021, 5, 3)),
    ]


def test_a_file_that_is_not_xlsx_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text("id;first\n", encoding="utf-8")
    with pytest.raises(InputError, match="not a readable XLSX"):
        open_export(path, SOURCE)


@pytest.mark.parametrize("wrap", [False, True])
def test_json_is_a_list_or_a_list_under_a_key(tmp_path: Path, wrap: bool) -> None:
    records = [{"id": 12, "first": "Jan", "last": "Jansen", "start": "2020-01-01"}]
    path = tmp_path / "export.json"
    path.write_text(json.dumps({"employees": records} if wrap else records), encoding="utf-8")
    assert rows_of(path) == [
        (1, {"id": "12", "first": "Jan", "last": "Jansen", "start": "2020-01-01"})
    ]


def test_broken_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_text('[\n{"id": 1,\n"first": }\n]', encoding="utf-8")
    with pytest.raises(InputError) as caught:
        open_export(path, SOURCE)
    assert caught.value.line == 3


def test_an_unknown_extension_asks_for_a_format(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="unknown export format"):
        open_export(path, SOURCE)
