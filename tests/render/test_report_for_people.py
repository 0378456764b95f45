"""The sync report is one people act on: names beside ids, labels instead of keys, the fix for
each unmapped code, the true number of days a person was away, why a leaver left, and counts
that agree between the table and the headings."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.desired.documents import validator
from reconciler.render.report import COUNT_LABELS, Report, report_markdown, write_report
from tests.render.conftest import DAY1, Sync, employee

DAY2 = DAY1 + timedelta(days=1)


def table(markdown: str) -> dict[str, int]:
    """report.md's counts table: label -> count."""
    rows = re.findall(r"^\| (.+?) \| ([\d,]+) \|$", markdown, re.MULTILINE)
    return {label: int(n.replace(",", "")) for label, n in rows}


def test_people_are_named_beside_their_ids_in_every_list(sync: Sync) -> None:
    sync.render([employee("000100"), employee("000101", given_name="Jan", family_name="Smit")])
    report = sync.render(
        [
            employee("000102", given_name="Eva", infix="", family_name="Bakker"),  # a hire
            employee(
                "000103", given_name="Piet", infix="", family_name="Kok", department="999"
            ),  # rejected
            employee("000104", given_name="Ria", infix="", family_name="Post", start="16-03-2026"),
            employee("000101", given_name="Jan", family_name="Smit"),
        ],
        DAY2,
    )
    md = report_markdown(report)
    assert "Eva Bakker (000102)" in md  # hires
    assert "Anouk de Vries (000100): left the HR export" in md  # leavers
    assert "| Piet Kok (000103) |" in md  # rejected
    assert "Ria Post (000104) starts 2026-03-16" in md  # pre-hires


def test_the_table_says_labels_not_keys_and_agrees_with_the_headings(sync: Sync) -> None:
    sync.render([employee("000100"), employee("000101")])
    report = sync.render(
        [employee("000100", department="999"), employee("000100", start="bogus")], DAY2
    )
    md = report_markdown(report)
    counts = table(md)
    assert "prehires" not in counts and "ended" not in counts
    assert set(counts) == set(COUNT_LABELS.values())
    assert counts[COUNT_LABELS["quarantined"]] == 1
    assert "## Quarantined (kept exactly as they were): 1 person (2 problems)" in md
    assert counts[COUNT_LABELS["leavers"]] == 1 and "## Leavers, suspended today: 1 person" in md


def test_each_unmapped_code_says_how_to_fix_it(sync: Sync, tmp_path: Path) -> None:
    report = sync.render([employee("000100", department="999"), employee("000101", location="X9")])
    md = report_markdown(report)
    assert "add `'999'` to `hr_codes` of a department in `org-units.yaml`" in md
    assert "add `'X9'` to `hr_codes` of a business unit in `org-units.yaml`" in md
    data = json.loads((write_report(report, tmp_path)[2]).read_text())
    assert data["unmapped_fixes"]["department_code"]["999"].startswith(
        "add '999' to hr_codes of a department in org-units.yaml"
    )
    assert list(validator("report").iter_errors(data)) == []


def test_a_rehire_says_after_how_many_days_and_past_the_grace_period_says_so(
    sync: Sync,
) -> None:
    sync.render([employee("000100"), employee("000101")])
    sync.render([employee("000101")], DAY2)  # 000100 leaves
    back = sync.render([employee("000100"), employee("000101")], DAY2 + timedelta(days=39))
    assert back.reactivated == ("000100",) and back.back_after == {"000100": 39}
    md = report_markdown(back)
    assert "Anouk de Vries (000100): back after 39 days suspended, past the 30-day grace" in md
    assert "inside the grace period" not in md

    sync.render([employee("000101")], DAY2 + timedelta(days=40))
    soon = sync.render([employee("000100"), employee("000101")], DAY2 + timedelta(days=43))
    assert "(000100): back after 3 days suspended\n" in report_markdown(soon)


def test_a_passed_end_date_says_the_contract_ended_on_that_date(sync: Sync) -> None:
    sync.render([employee("000100"), employee("000101")])
    report = sync.render([employee("000100", end="01-03-2026"), employee("000101")], DAY2)
    assert report.leavers == ("000100",)
    assert "Anouk de Vries (000100): contract ended on 2026-03-01" in report_markdown(report)
    person = sync.person("000100")
    assert person is not None and person.end_date is not None
    assert person.end_date.isoformat() == "2026-03-01"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.sampled_from(["000100", "000101", "000102", None]), max_size=8),
    st.lists(st.sampled_from(["000100", "000101"]), max_size=4),
)
def test_every_heading_count_is_the_tables_count(
    rejected: list[str | None], quarantined: list[str]
) -> None:
    from datetime import date

    from reconciler.render.report import Issue

    issues = tuple(
        [Issue("rejected", n + 2, eid, "bad") for n, eid in enumerate(rejected)]
        + [Issue("quarantined", n + 20, eid, "bad") for n, eid in enumerate(quarantined)]
    )
    report = Report(date(2026, 3, 2), "x.csv", 10, 2, 2, issues=issues)
    md = report_markdown(report)
    counts = table(md)
    for kind, title in (("rejected", "Rejected"), ("quarantined", "Quarantined")):
        heading = re.search(rf"^## {title} .*?: (\d+) (?:person|people)", md, re.MULTILINE)
        assert (heading is None) == (counts[COUNT_LABELS[kind]] == 0)
        if heading:
            assert int(heading.group(1)) == counts[COUNT_LABELS[kind]]


def test_large_counts_read_with_thousands_separators_in_the_line_and_the_headings() -> None:
    hires = tuple(f"{i:06}" for i in range(1, 22_001))
    report = Report(DAY1, "big.csv", rows=22_000, people=22_000, active=22_000, hires=hires)
    assert report.summary().startswith(
        "22,000 people (22,000 active, 0 suspended): 22,000 hires, 0 reactivated"
    )
    markdown = report_markdown(report)
    assert "Source: `big.csv` (22,000 rows)." in markdown
    assert "## Hires: 22,000 people" in markdown
    assert markdown.count("(21,950 more)") == 1
