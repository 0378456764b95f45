"""The sync report's CSV is opened in spreadsheets: HR data in it never runs as a formula."""

from __future__ import annotations

import csv
import io
from datetime import date

from reconciler.render.report import Issue, Report, report_csv


def report_of(*issues: Issue, names: dict[str, str] | None = None) -> Report:
    """A report of three rows that holds only ``issues`` (and the names render gave)."""
    return Report(
        today=date(2026, 3, 2),
        source="export.csv",
        rows=3,
        people=0,
        active=0,
        issues=issues,
        names=names or {},
    )


def test_an_employee_id_or_reason_that_looks_like_a_formula_is_written_as_text() -> None:
    report = report_of(
        Issue("rejected", 7, '=HYPERLINK("http://x")', "unknown department_code '-1'"),
        Issue("quarantined", 9, "001009", "@SUM(A1:A2) is not an email"),
        Issue("warning", 11, "001011", "invalid email 'a@b' ignored"),
    )
    rows = list(csv.reader(io.StringIO(report_csv(report))))
    assert rows[1][2] == '\'=HYPERLINK("http://x")'
    assert rows[1][4] == "unknown department_code '-1'"  # not at the start: left alone
    assert rows[2][4] == "'@SUM(A1:A2) is not an email"
    assert rows[3][2:] == ["001011", "", "invalid email 'a@b' ignored"]


def test_each_row_names_the_person_beside_the_id_as_the_markdown_report_does() -> None:
    report = report_of(
        Issue("rejected", 7, "001007", "unknown department_code '999'"),
        Issue("warning", 8, None, "no employee id"),
        Issue("quarantined", 9, "001009", "invalid date"),
        names={"001007": "Anouk de Vries", "line 8": "Jan Jansen", "001009": "=1+1"},
    )
    rows = list(csv.DictReader(io.StringIO(report_csv(report))))
    assert [(r["employee_id"], r["name"]) for r in rows] == [
        ("001007", "Anouk de Vries"),
        ("", "Jan Jansen"),
        ("001009", "'=1+1"),  # a name is HR data too: never a formula
    ]
    assert list(rows[0]) == ["kind", "line", "employee_id", "name", "reason"]
