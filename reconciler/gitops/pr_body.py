"""The render pull request's body: the sync report, its summary whole, its details folded.

Made from render's ``report.json`` (or, without one, its Markdown summary as it is), within
GitHub's body limit whatever the size of the export:

1. what the pull request is, the run's notices, and a table with every count;
2. one line counting what needs a fix in the HR data or the rules (rejected rows,
   quarantined people, warnings, HR codes no rule maps);
3. one folded ``<details>`` per list (rejected rows, quarantined, warnings, leavers, dropped,
   hires, …, the files changed), most urgent first, each person by name beside their employee
   id where the report or the desired state knows them. The lists share the room in turns
   (each one's first lines, then each one's next), and each says "showing K of N".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.gitops.branch import RenderCommit
from reconciler.gitops.github import MAX_BODY
from reconciler.reconcile.views import mdtext

NameOf = Callable[[str], "str | None"]  # employee id -> display name, None when unknown
REPORT_JSON = "report.json"
REPORT_SUMMARIES = ("summary.md", "report.md")
INTRO = (
    "Rendered by `speakap-sync render` from the HR export. The plan workflow comments what "
    "this would change in Speakap; merging applies it."
)
COUNTS = (
    ("rows", "rows"),
    ("people", "people"),
    ("active", "active"),
    ("hires", "hires"),
    ("reactivated", "reactivated"),
    ("updated", "updated"),
    ("leavers", "leavers"),
    ("dropped", "dropped"),
    ("prehires", "pre-hires"),
    ("held", "held"),
)
# The lists of people, most urgent first: (report key, title).
PEOPLE = (
    ("leavers", "Leavers, suspended today"),
    ("held", "Held: absent from a broken export, kept as they were"),
    ("dropped", "Dropped after the grace period"),
    ("hires", "Hires"),
    ("reactivated", "Reactivated inside the grace period"),
    ("updated", "Updated"),
    ("protected_kept", "Protected, kept although absent"),
    ("ended", "Left before their first render (not rendered)"),
)
ISSUES = (
    ("rejected", "Rejected rows (new people, not rendered)"),
    ("quarantined", "Quarantined (kept exactly as they were)"),
    ("warning", "Warnings"),
)


@dataclass(frozen=True, slots=True)
class _List:
    """A folded list: a title, lines heading it (a table's head), and its items."""

    title: str
    items: Sequence[str]
    head: str = ""

    def render(self, shown: int) -> str:
        count = f"showing {shown:,} of {len(self.items):,}"
        return (
            f"<details><summary>{mdtext.html(self.title)} · {count}</summary>\n\n"
            + self.head
            + "".join(self.items[:shown])
            + "\n</details>\n\n"
        )


def render_pr_body(
    report_dir: Path | None,
    commit: RenderCommit,
    names: Mapping[str, str] | None = None,
    *,
    limit: int = MAX_BODY,
) -> str:
    """The body: the sync report of ``report_dir`` and the files ``commit`` changed, at most
    ``limit`` characters; ``names`` (employee id -> name) names the people listed."""
    report = _read_json(report_dir)
    state_names = names or {}
    said = report.get("names") if report is not None else None
    report_names = {str(k): str(v) for k, v in said.items()} if isinstance(said, dict) else {}

    def name_of(eid: str) -> str | None:
        """The report's name for the person (it knows rejected rows too), else the state's."""
        return report_names.get(eid) or state_names.get(eid)

    files = _List(
        f"{len(commit.changed):,} file(s) changed",
        [f"- {mdtext.code(path)}\n" for path in commit.changed],
    )
    if report is None:
        summary = _read_summary(report_dir) or "_No sync report was found._"
        head = f"{INTRO}\n\n{_cut(summary, limit // 2)}\n\n"
        return head + _fill([files], limit - len(head))
    head = f"{INTRO}\n\n" + _summary(report)
    return head + _fill(_lists(report, name_of, files), limit - len(head))


def _read_json(report_dir: Path | None) -> dict[str, Any] | None:
    if report_dir is None or not (report_dir / REPORT_JSON).is_file():
        return None
    try:
        data = json.loads((report_dir / REPORT_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("counts"), dict) else None


def _read_summary(report_dir: Path | None) -> str:
    for name in REPORT_SUMMARIES:
        if report_dir is not None and (report_dir / name).is_file():
            return (report_dir / name).read_text(encoding="utf-8").strip()
    return ""


def _summary(report: Mapping[str, Any]) -> str:
    counts: Mapping[str, Any] = report["counts"]
    source = mdtext.code(str(report.get("source", "")))
    lines = [
        f"Sync report of {mdtext.text(str(report.get('today', '')))}: {source}, "
        f"{_n(counts.get('rows'))} rows.",
        "",
    ]
    notices = [str(n) for n in report.get("notices", [])]
    if notices:
        lines += ["> [!WARNING]"] + [f"> - {mdtext.text(_clip(n, 500))}" for n in notices[:10]]
        if len(notices) > 10:
            lines.append(f"> - … and {len(notices) - 10:,} more notices in the report")
        lines.append("")
    shown = [
        (label, counts.get(key))
        for key, label in COUNTS
        if key in counts and (key != "held" or counts[key])
    ]
    lines += [
        "| " + " | ".join(label for label, _ in shown) + " |",
        "| " + " | ".join("---:" for _ in shown) + " |",
        "| " + " | ".join(_n(value) for _, value in shown) + " |",
        "",
    ]
    unmapped = sum(len(c) for c in report.get("unmapped_codes", {}).values())
    fixes = [
        (counts.get("rejected", 0), "rejected row", "rejected rows"),
        (counts.get("quarantined", 0), "quarantined person", "quarantined people"),
        (counts.get("warnings", 0), "warning", "warnings"),
        (unmapped, "HR code no rule maps", "HR codes no rule maps"),
    ]
    needed = [
        f"1 {one}" if n == 1 else f"{n:,} {many}"
        for n, one, many in fixes
        if isinstance(n, int) and n
    ]
    said = f"{', '.join(needed)} (below)" if needed else "nothing: no rejected rows, no quarantine"
    lines += [f"**To fix in the HR data or the rules:** {said}.", ""]
    return "\n".join(lines) + "\n"


def _lists(report: Mapping[str, Any], names: NameOf, files: _List) -> list[_List]:
    issues: list[Mapping[str, Any]] = [i for i in report.get("issues", []) if isinstance(i, dict)]
    found = []
    for kind, title in ISSUES:
        rows = [_issue_row(i, names) for i in issues if i.get("kind") == kind]
        if rows:
            head = "| line | employee | reason |\n| ---: | --- | --- |\n"
            found.append(
                _List(f"{title}: {len(rows):,} {'row' if len(rows) == 1 else 'rows'}", rows, head)
            )
    notes = _notes(report)
    for key, title in PEOPLE:
        ids = [str(e) for e in report.get(key, [])]
        if ids:
            items = [f"- {_named(e, names)}{notes.get(e, '')}\n" for e in ids]
            found.append(_List(f"{title}: {len(ids):,}", items))
    prehires = [p for p in report.get("prehires", []) if isinstance(p, dict)]
    if prehires:
        items = [
            f"- {_named(str(p.get('employee_id')), names)} starts "
            f"{mdtext.text(str(p.get('start_date')))}\n"
            for p in prehires
        ]
        found.append(_List(f"Pre-hires: {len(items):,}", items))
    fixes: Mapping[str, Mapping[str, Any]] = report.get("unmapped_fixes", {})
    codes = [
        f"| {mdtext.text(str(field))} | {mdtext.code(str(code), in_table=True)} | {_n(n)} | "
        f"{mdtext.text(str(fixes.get(field, {}).get(code, '')))} |\n"
        for field, by_code in report.get("unmapped_codes", {}).items()
        for code, n in by_code.items()
    ]
    if codes:
        head = "| field | code | rows | fix |\n| --- | --- | ---: | --- |\n"
        found.append(_List(f"HR codes that no rule maps: {len(codes):,}", codes, head))
    merges = [m for m in report.get("merges", []) if isinstance(m, dict)]
    if merges:
        items = [
            f"- {_named(str(m.get('employee_id')), names)}: lines "
            f"{', '.join(map(str, m.get('lines', [])))}, primary line {m.get('primary_line')}\n"
            for m in merges
        ]
        found.append(_List(f"Merged contracts: {len(items):,}", items))
    rules = [f"- {mdtext.code(str(r))}\n" for r in report.get("unused_rules", [])]
    if rules:
        found.append(_List(f"Rules that matched nobody: {len(rules):,}", rules))
    return [*found, files]


def _notes(report: Mapping[str, Any]) -> dict[str, str]:
    """Employee id -> what the report adds to their line: days suspended before coming back,
    the date a contract ended."""
    notes: dict[str, str] = {}
    for eid, days in dict(report.get("reactivated_after_days", {})).items():
        notes[str(eid)] = f", back after {_n(days)} days suspended"
    for eid, ended in dict(report.get("contract_ended", {})).items():
        notes[str(eid)] = f", contract ended on {mdtext.text(str(ended))}"
    return notes


def _issue_row(issue: Mapping[str, Any], names: NameOf) -> str:
    eid = issue.get("employee_id")
    who = _named(str(eid), names, in_table=True) if eid else ""
    reason = mdtext.text(_clip(str(issue.get("reason", "")), 300))
    return f"| {issue.get('line') or ''} | {who} | {reason} |\n"


def _named(eid: str, names: NameOf, *, in_table: bool = False) -> str:
    """``Jan de Vries `001030```, or the id alone when the desired state has no name."""
    code = mdtext.code(eid, in_table=in_table)
    name = names(eid)
    return f"{mdtext.text(_clip(name))} {code}" if name else code


def _fill(lists: list[_List], room: int) -> str:
    """The lists folded, sharing ``room`` in turns: each list's first line, then each one's
    second, and so on; a list starts only when its frame and first line fit."""
    shown = [0] * len(lists)
    used = sum(len(x.render(0)) + 8 for x in lists)  # every frame, "showing K" grown a little
    if used > room:
        return "_The report's lists do not fit here: read the report artifact._\n"
    open_ = set(range(len(lists)))
    turn = 0
    while open_:
        for index in sorted(open_):
            items = lists[index].items
            if turn >= len(items):
                open_.discard(index)
                continue
            cost = len(items[turn])
            if used + cost > room:
                open_.discard(index)
                continue
            used += cost
            shown[index] += 1
        turn += 1
    return "".join(x.render(n) for x, n in zip(lists, shown, strict=True))


def _cut(text: str, room: int) -> str:
    if len(text) <= room:
        return text
    return text[: text.rfind("\n", 0, room - 80)] + "\n\n_(cut here: read the report artifact)_"


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else mdtext.text(str(value or 0))


def _clip(text: str, most: int = 80) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"
