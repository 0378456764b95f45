"""The render pull request's body: the sync report's summary whole, people named beside their
employee ids, every list folded and saying how much it shows, within GitHub's limit."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from reconciler.gitops.branch import RenderCommit
from reconciler.gitops.github import MAX_BODY
from reconciler.gitops.pr_body import render_pr_body
from reconciler.render.report import Issue, Report, write_report
from tests.reconcile.views.plans import as_github_shows

COMMIT = RenderCommit("speakap-sync/render", "a" * 40, ("desired-state/users/1.yaml",), True)
NAMES = {"002001": "Chloé Öztürk", "001100": "Sem Mulder", "001030": "Jan de Vries"}


def a_days_report(tmp_path: Path, **changes: object) -> Path:
    values: dict[str, object] = {
        "today": date(2026, 3, 3),
        "source": "hr-export-day2.csv",
        "rows": 322,
        "people": 319,
        "active": 316,
        "hires": ("002001", "002002"),
        "leavers": ("001100",),
        "suspended": ("001100",),
        "prehires": (("001050", date(2026, 3, 16)),),
        "issues": (
            Issue("rejected", 42, "001040", "unknown department_code '999'"),
            Issue("quarantined", 32, "001030", "invalid email 'not-an-address' ignored"),
        ),
        "unmapped_codes": {"department_code": {"999": 1}},
        "unmapped_kinds": {"department_code": ("department",)},
        "names": {"001040": "Thijs de Groot"},
        "ended_on": {"001100": date(2026, 3, 2)},
    }
    values.update(changes)
    folder = tmp_path / "report"
    write_report(Report(**values), folder)  # type: ignore[arg-type]
    return folder


def test_the_body_has_the_counts_whole_and_names_people_beside_their_ids(tmp_path: Path) -> None:
    body = render_pr_body(a_days_report(tmp_path), COMMIT, NAMES)
    assert body.startswith("Rendered by `speakap-sync render` from the HR export.")
    assert "| rows | people | active | hires | reactivated | updated | leavers | dropped |" in body
    assert "| 322 | 319 | 316 | 2 | 0 | 0 | 1 | 0 | 1 |" in body
    fix = "**To fix in the HR data or the rules:** 1 rejected row, 1 quarantined person, "
    assert fix + "1 HR code no rule maps (below)." in body
    assert "- Chloé Öztürk `002001`\n- `002002`\n" in body  # a name where one is known
    assert "| 32 | Jan de Vries `001030` | invalid email 'not-an-address' ignored |" in body
    assert "- `001050` starts 2026-03-16" in body
    assert "| 42 | Thijs de Groot `001040` | unknown" in body  # the report names a rejected row
    assert "- Sem Mulder `001100`, contract ended on 2026-03-02\n" in body
    fix = "add '999' to hr\\_codes of a department in org-units.yaml, or correct the code"
    assert f"| department\\_code | `999` | 1 | {fix} in the HR system |" in body


def test_every_list_is_folded_and_says_how_much_it_shows(tmp_path: Path) -> None:
    body = render_pr_body(a_days_report(tmp_path), COMMIT, NAMES)
    titles = re.findall(r"<summary>(.*?) · showing (\d+) of (\d+)</summary>", body)
    assert [t[0] for t in titles] == [
        "Rejected rows (new people, not rendered): 1 row",
        "Quarantined (kept exactly as they were): 1 row",
        "Leavers, suspended today: 1",
        "Hires: 2",
        "Pre-hires: 1",
        "HR codes that no rule maps: 1",
        "1 file(s) changed",
    ]
    assert all(shown == total for _, shown, total in titles)
    assert body.index("| rows |") < body.index("<details>")


def test_a_huge_report_keeps_its_summary_and_every_list_within_the_limit(tmp_path: Path) -> None:
    hires = tuple(f"{i:06d}" for i in range(100_000))
    issues = tuple(
        Issue("rejected", i, f"9{i:05d}", "no valid email or phone") for i in range(20_000)
    )
    commit = RenderCommit(
        "b", "a" * 40, tuple(f"desired-state/users/{i}.yaml" for i in range(256)), True
    )
    body = render_pr_body(a_days_report(tmp_path, hires=hires, issues=issues), commit)
    assert len(body) <= MAX_BODY
    assert "| 322 | 319 | 316 | 100,000 |" in body
    titles = re.findall(r"<summary>(.*?) · showing ([\d,]+) of ([\d,]+)</summary>", body)
    assert {t[0] for t in titles} >= {
        "Rejected rows (new people, not rendered): 20,000 rows",
        "Hires: 100,000",
    }
    shown = {t[0]: int(t[1].replace(",", "")) for t in titles}
    assert (
        shown["Hires: 100,000"] > 100
        and shown["Rejected rows (new people, not rendered): 20,000 rows"] > 100
    )
    assert body.count("<details>") == body.count("</details>") == len(titles)


def test_data_in_the_report_reads_as_written_and_never_as_markup(tmp_path: Path) -> None:
    hostile = "<img src=x onerror=alert(1)> | *x* `y`"
    issues = (Issue("warning", 7, "E|1", hostile),)
    body = render_pr_body(
        a_days_report(tmp_path, issues=issues, notices=(hostile,)), COMMIT, {"E|1": hostile}
    )
    shown = as_github_shows(body)
    assert "<img" not in shown and "<em>" not in shown
    assert "&lt;img src=x onerror=alert(1)&gt; | *x* `y`" in shown
    assert "<code>E|1</code>" in shown


def test_without_report_json_the_markdown_summary_is_used(tmp_path: Path) -> None:
    (tmp_path / "summary.md").write_text("**1 hire**, 0 leavers\n")
    body = render_pr_body(tmp_path, COMMIT)
    assert "**1 hire**, 0 leavers" in body and "desired-state/users/1.yaml" in body
    assert "_No sync report was found._" in render_pr_body(None, COMMIT)


def test_a_clean_export_says_there_is_nothing_to_fix(tmp_path: Path) -> None:
    body = render_pr_body(a_days_report(tmp_path, issues=(), unmapped_codes={}), COMMIT)
    assert (
        "**To fix in the HR data or the rules:** nothing: no rejected rows, no quarantine." in body
    )
