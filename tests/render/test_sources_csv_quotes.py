"""CSV quoting is read strictly: a quote that is not closed where it should be is a broken
record, named by the line of its opening quote, that may hide the rows after it; a quoted
field that legitimately spans lines is not."""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.config import SourceConfig
from reconciler.render.sources import RawRow, open_export

SOURCE = SourceConfig(columns={"employee_id": "id", "given_name": "first", "family_name": "last"})


def rows_of(tmp_path: Path, text: str) -> list[RawRow]:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    return list(open_export(path, SOURCE).rows)


def test_a_quote_never_closed_is_one_broken_record_at_its_line(tmp_path: Path) -> None:
    rows = rows_of(tmp_path, 'id;first;last\n1;Jan;Jansen\n2;"Eva;Smit\n3;Piet;Pan\n4;Ada;Lov\n')
    assert [(r.line, r.hides_rows) for r in rows] == [(2, False), (3, True)]
    assert rows[1].values["id"] == "2"  # the values before the quote survive
    assert rows[1].error == 'a quote (") at line 3 is never closed: lines 3-5 read as one field'


def test_a_quote_closed_too_late_is_a_broken_record_and_reading_goes_on(tmp_path: Path) -> None:
    text = 'id;first;last\n1;"Jan;Jansen\n2;Eva;Smit\n3;Piet" x;Pan\n4;Ada;Lov\n'
    rows = rows_of(tmp_path, text)
    assert [(r.line, r.hides_rows, r.values["id"]) for r in rows] == [
        (2, True, "1"),
        (5, False, "4"),
    ]
    assert rows[0].error is not None
    assert rows[0].error.startswith("broken quoting at line 4")
    assert "swallowed lines 2-4" in rows[0].error


def test_a_quote_closed_cleanly_around_rows_is_caught_by_the_delimiter_after_a_break(
    tmp_path: Path,
) -> None:
    rows = rows_of(tmp_path, 'id;first;last\n1;"Jan;Jansen\n2;Eva;Smit\n3;Piet";Pan\n4;Ada;Lov\n')
    assert [(r.line, r.hides_rows) for r in rows] == [(2, True), (5, False)]
    assert rows[0].error is not None and "holds rows (';' after a line break)" in rows[0].error


def test_a_stray_quote_inside_a_field_is_a_character(tmp_path: Path) -> None:
    rows = rows_of(tmp_path, 'id;first;last\n1;Jan "JJ";Jansen\n2;Eva;Smit\n')
    assert [(r.values["first"], r.error) for r in rows] == [('Jan "JJ"', None), ("Eva", None)]


def test_text_after_a_closing_quote_breaks_only_its_own_line(tmp_path: Path) -> None:
    rows = rows_of(tmp_path, 'id;first;last\n1;"Jan" Willem;Jansen\n2;Eva;Smit\n')
    assert [(r.line, r.hides_rows) for r in rows] == [(2, False), (3, False)]
    assert rows[0].values["id"] == "1"  # read leniently, so a known person is quarantined
    assert rows[0].error is not None and rows[0].error.startswith("broken quoting (")


def test_a_quoted_address_over_two_lines_is_one_good_field(tmp_path: Path) -> None:
    text = 'id,first,last,address\n1,Jan,Jansen,"Dorpsstraat 1\n1234 AB Dorp"\n2,Eva,Smit,\n'
    rows = rows_of(tmp_path, text)
    assert [(r.line, r.error, r.hides_rows) for r in rows] == [(2, None, False), (4, None, False)]
    assert rows[0].values["address"] == "Dorpsstraat 1\n1234 AB Dorp"
