"""A JSON export is read within limits: nesting, number literals and the keys over all records
are capped, and NaN or Infinity (which Python's parser takes, JSON does not) are refused. Each
is one error with its line, never a RecursionError or ValueError traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.desired.config import SourceConfig
from reconciler.errors import InputError
from reconciler.render.sources import open_export
from reconciler.render.sources.base import MAX_COLUMNS
from reconciler.render.sources.json import MAX_DEPTH, MAX_NUMBER_CHARS

SOURCE = SourceConfig(columns={"employee_id": "id", "given_name": "first", "family_name": "last"})
GOOD = '{"id": 1001, "first": "Jan", "last": "Jansen"}'


def refused(tmp_path: Path, text: str) -> InputError:
    path = tmp_path / "export.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        list(open_export(path, SOURCE).rows)
    assert caught.value.file == str(path)
    return caught.value


def test_nesting_deeper_than_the_limit_is_refused_with_its_line(tmp_path: Path) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    error = refused(tmp_path, f'[{GOOD},\n{GOOD},\n{{"id": {deep}}}]')
    assert (error.line, error.message) == (3, f"JSON nested more than {MAX_DEPTH} levels deep")


def test_brackets_inside_strings_are_text(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    name = "[" * 1000 + '\\"{'
    path.write_text(f'[{{"id": 1, "first": "{name}", "last": "x"}}]', encoding="utf-8")
    rows = list(open_export(path, SOURCE).rows)
    assert rows[0].values["first"] == "[" * 1000 + '"{'


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_not_read_as_ids(tmp_path: Path, constant: str) -> None:
    error = refused(tmp_path, f'[{GOOD},\n{{"id": {constant}, "first": "A", "last": "B"}}]')
    assert (error.line, error.message) == (2, f"{constant} is not a number JSON allows")


def test_a_number_beyond_the_float_range_is_refused(tmp_path: Path) -> None:
    error = refused(tmp_path, f'[{GOOD},\n\n{{"id": 1e999, "first": "A", "last": "B"}}]')
    assert (error.line, error.message) == (3, "the number 1e999 is out of range")


def test_a_number_literal_longer_than_the_limit_is_refused(tmp_path: Path) -> None:
    digits = "7" * 5001  # int() itself would raise a ValueError beyond 4,300 digits
    error = refused(tmp_path, f'[{GOOD},\n{{"id": {digits}, "first": "A", "last": "B"}}]')
    assert error.line == 2
    assert error.message == f"a number of 5,001 characters (the limit is {MAX_NUMBER_CHARS})"


def test_long_numeric_ids_within_the_limit_keep_every_digit(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    digits = "9" * MAX_NUMBER_CHARS
    path.write_text(f'[{{"id": {digits}, "first": "A", "last": "B"}}]', encoding="utf-8")
    assert [r.values["id"] for r in open_export(path, SOURCE).rows] == [digits]


def test_more_keys_than_the_column_limit_are_refused_at_the_record(tmp_path: Path) -> None:
    records = [json.loads(GOOD) for _ in range(3)]
    records[2].update({f"k{n}": n for n in range(MAX_COLUMNS)})
    error = refused(tmp_path, json.dumps(records))
    assert error.line == 3  # the record number
    assert error.message == f"the records hold more than {MAX_COLUMNS:,} different keys (columns)"
