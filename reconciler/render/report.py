"""The sync report: who could not be processed and why, and what the render changed.

``Report`` is a plain value that render returns; ``write_report`` turns it into three files
in a directory: ``report.md`` (a summary for people), ``report.csv`` (one line per rejected,
quarantined, warned or out-of-scope row, for a spreadsheet) and ``report.json`` (everything,
for tools).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Literal

from reconciler.model import OrgKind

IssueKind = Literal["rejected", "quarantined", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One row that was rejected, a person kept as they were (quarantined), or a warning."""

    kind: IssueKind
    line: int | None
    employee_id: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Scoped:
    """A person (or an id-less row) out of scope: a ``skip`` rule fired on every row of theirs.
    ``line`` is their first row's."""

    employee_id: str | None
    line: int
    rule: str


@dataclass(frozen=True, slots=True)
class Merge:
    """Several contracts of one employee id merged into one person."""

    employee_id: str
    lines: tuple[int, ...]
    primary_line: int


@dataclass(frozen=True, slots=True)
class Report:
    today: date
    source: str
    rows: int
    people: int  # in the new desired state
    active: int
    hires: tuple[str, ...] = ()
    reactivated: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    leavers: tuple[str, ...] = ()  # suspended by this render
    suspended: tuple[str, ...] = ()  # every suspended person in the new state
    dropped: tuple[str, ...] = ()  # past the grace period: removed from desired state
    prehires: tuple[tuple[str, date], ...] = ()
    ended: tuple[str, ...] = ()  # in the export with a past end date, never rendered
    out_of_scope: tuple[Scoped, ...] = ()  # not rendered: a skip rule fired on all their rows
    protected_kept: tuple[str, ...] = ()
    held: tuple[str, ...] = ()  # absent while the export is broken: kept, not suspended
    issues: tuple[Issue, ...] = ()
    merges: tuple[Merge, ...] = ()
    unmapped_codes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    unused_rules: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()  # warnings about the run as a whole
    # employee id (or "line N" for a row without one) -> name, for the people the report lists
    names: Mapping[str, str] = field(default_factory=dict)
    back_after: Mapping[str, int] = field(default_factory=dict)  # reactivated -> days suspended
    ended_on: Mapping[str, date] = field(default_factory=dict)  # leavers whose contract ended
    # HR field -> the kinds of org unit whose hr_codes its codes are looked up in (the fix)
    unmapped_kinds: Mapping[str, tuple[OrgKind, ...]] = field(default_factory=dict)
    grace_days: int = 30

    def issues_of(self, kind: IssueKind) -> tuple[Issue, ...]:
        return tuple(i for i in self.issues if i.kind == kind)

    def counts(self) -> dict[str, int]:
        return {
            "rows": self.rows,
            "people": self.people,
            "active": self.active,
            "hires": len(self.hires),
            "reactivated": len(self.reactivated),
            "updated": len(self.updated),
            "leavers": len(self.leavers),
            "suspended": len(self.suspended),
            "dropped": len(self.dropped),
            "prehires": len(self.prehires),
            "ended": len(self.ended),
            "held": len(self.held),
            "out_of_scope": len(self.out_of_scope),
            "rejected": _people(self.issues_of("rejected")),
            "quarantined": _people(self.issues_of("quarantined")),
            "warnings": len(self.issues_of("warning")),
            "merged": len(self.merges),
        }

    def summary(self) -> str:
        """One line for the terminal, in singular or plural as the counts ask (people out of
        scope only when there are some)."""
        c = self.counts()
        scope = f", {c['out_of_scope']:,} out of scope" if c["out_of_scope"] else ""
        return (
            f"{_n(c['people'], 'person', 'people')} ({c['active']:,} active, "
            f"{c['suspended']:,} suspended): {_n(c['hires'], 'hire')}, "
            f"{c['reactivated']:,} reactivated, {c['updated']:,} updated, "
            f"{_n(c['leavers'], 'leaver')}, {c['dropped']:,} dropped, "
            f"{_n(c['prehires'], 'pre-hire')}{scope}; {c['rejected']:,} rejected, "
            f"{c['quarantined']:,} quarantined, {_n(c['warnings'], 'warning')}"
        )

    def to_json(self) -> dict[str, Any]:
        suspended = set(self.suspended)
        return {
            "today": self.today.isoformat(),
            "source": self.source,
            "counts": self.counts(),
            "hires": list(self.hires),
            "reactivated": list(self.reactivated),
            "updated": list(self.updated),
            "leavers": list(self.leavers),
            "suspended": list(self.suspended),
            "dropped": list(self.dropped),
            "prehires": [{"employee_id": e, "start_date": d.isoformat()} for e, d in self.prehires],
            "ended": list(self.ended),
            "out_of_scope": [
                {
                    "employee_id": s.employee_id,
                    "line": s.line,
                    "rule": s.rule,
                    "suspended": s.employee_id in suspended,
                }
                for s in self.out_of_scope
            ],
            "protected_kept": list(self.protected_kept),
            "held": list(self.held),
            "issues": [
                {"kind": i.kind, "line": i.line, "employee_id": i.employee_id, "reason": i.reason}
                for i in self.issues
            ],
            "merges": [
                {
                    "employee_id": m.employee_id,
                    "lines": list(m.lines),
                    "primary_line": m.primary_line,
                }
                for m in self.merges
            ],
            "unmapped_codes": {f: dict(codes) for f, codes in self.unmapped_codes.items()},
            "unmapped_fixes": {
                f: {code: self.fix(f, code) for code in codes}
                for f, codes in self.unmapped_codes.items()
            },
            "unused_rules": list(self.unused_rules),
            "notices": list(self.notices),
            "names": dict(sorted(self.names.items())),
            "reactivated_after_days": dict(sorted(self.back_after.items())),
            "contract_ended": {e: d.isoformat() for e, d in sorted(self.ended_on.items())},
        }

    def fix(self, field_name: str, code: str) -> str:
        """What makes an unmapped HR code map: ``add '999' to hr_codes of a department in
        org-units.yaml, or correct the code in the HR system``."""
        return (
            f"add {code!r} to hr_codes of {self.units_for(field_name)} in org-units.yaml, "
            "or correct the code in the HR system"
        )

    def units_for(self, field_name: str) -> str:
        """``a department``: the org units whose hr_codes a field's codes belong in."""
        kinds = self.unmapped_kinds.get(field_name) or ("business_unit",)
        return " or ".join(_KIND_ARTICLES[k] for k in kinds)

    def who(self, employee_id: str | None, line: int | None = None) -> str:
        """``Anouk de Vries (000100)``: a name beside the id, the id alone when unknown."""
        key = employee_id if employee_id is not None else f"line {line}"
        name = self.names.get(key, "")
        if employee_id is None:
            return f"{name} (no employee id)" if name else "(no employee id)"
        return f"{name} ({employee_id})" if name else employee_id


_KIND_ARTICLES: Mapping[str, str] = {
    "business_unit": "a business unit",
    "department": "a department",
    "local_department": "a local department (under the person's business unit)",
    "group": "a group",
}


def _n(count: int, singular: str, plural: str | None = None) -> str:
    """``1 hire``, ``2 hires``, ``22,000 people``; ``plural`` for irregular nouns."""
    return f"{count:,} {singular if count == 1 else plural or singular + 's'}"


def _people(issues: tuple[Issue, ...]) -> int:
    """How many people (or id-less rows) the issues concern."""
    return len({i.employee_id or f"line {i.line}" for i in issues})


def report_csv(report: Report) -> str:
    """One row per issue, with the person's name beside the id (as report.md says it; empty
    when unknown). Admins open this in a spreadsheet, and the ids, names and reasons quote HR
    data: a cell that a spreadsheet would run as a formula is written as text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "line", "employee_id", "name", "reason"])
    for issue in report.issues:
        name = _name(report, issue.employee_id, issue.line)
        eid = _cell(issue.employee_id or "")
        writer.writerow([issue.kind, issue.line or "", eid, name, _cell(issue.reason)])
    for scoped in report.out_of_scope:
        reason = f"rule {scoped.rule} skips this row"
        name = _name(report, scoped.employee_id, scoped.line)
        eid = _cell(scoped.employee_id or "")
        writer.writerow(["out_of_scope", scoped.line, eid, name, reason])
    return out.getvalue()


def _name(report: Report, employee_id: str | None, line: int | None) -> str:
    key = employee_id if employee_id is not None else f"line {line}"
    return _cell(report.names.get(key, ""))


def _cell(text: str) -> str:
    # OWASP's advice on CSV injection: a leading = + - @ (or tab/CR) makes a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# The counts as report.md's table says them: a label per key of ``Report.counts``.
COUNT_LABELS: Mapping[str, str] = {
    "rows": "Rows read from the export",
    "people": "People in the desired state",
    "active": "… of them active",
    "hires": "Hires",
    "reactivated": "Reactivated (back after a suspension)",
    "updated": "Updated",
    "leavers": "Leavers (suspended today)",
    "suspended": "Suspended (in the grace period)",
    "dropped": "Dropped after the grace period",
    "prehires": "Pre-hires (start later)",
    "ended": "Contract ended before their first render",
    "held": "Held (absent from a broken export)",
    "out_of_scope": "Out of scope (a skip rule, not rendered)",
    "rejected": "Rejected (people not rendered)",
    "quarantined": "Quarantined (people kept as they were)",
    "warnings": "Warnings",
    "merged": "People with merged contracts",
}
_LIMIT = 50  # people named per list; the rest are counted
_MD_INLINE = re.compile(r"([\\`*_\[\]<>&|~!#])")  # what Markdown would read as markup
_MD_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


def _md(text: str) -> str:
    """HR data as Markdown text that reads as written (one line, punctuation escaped)."""
    return _MD_INLINE.sub(r"\\\1", _MD_CONTROL.sub(" ", text))


def _named(report: Report, ids: tuple[str, ...]) -> str:
    """``Anouk de Vries (000100), Jan Jansen (000101), … (8 more)``."""
    shown = ", ".join(_md(report.who(e)) for e in ids[:_LIMIT])
    return shown + (f", … ({len(ids) - _LIMIT:,} more)" if len(ids) > _LIMIT else "")


def _listed(lines: list[str]) -> list[str]:
    """Markdown list items, the first ``_LIMIT``, then how many more."""
    more = [f"- … and {len(lines) - _LIMIT:,} more"] if len(lines) > _LIMIT else []
    return [f"- {line}" for line in lines[:_LIMIT]] + more


def _back(report: Report, employee_id: str) -> str:
    days = report.back_after.get(employee_id)
    if days is None:
        return "back in the export"
    said = f"back after {_n(days, 'day')} suspended"
    if days >= report.grace_days:
        said += (
            f", past the {report.grace_days}-day grace period: the account was still "
            "suspended, not yet deleted, and is reactivated"
        )
    return said


def _left(report: Report, employee_id: str) -> str:
    """Why a leaver left: their contract ended, a skip rule took them out of scope (their
    rows are still in the export), or they left the export."""
    ended = report.ended_on.get(employee_id)
    if ended:
        return f"contract ended on {ended.isoformat()}"
    rule = next((s.rule for s in report.out_of_scope if s.employee_id == employee_id), None)
    return f"out of scope (rule {rule}), still in the HR export" if rule else "left the HR export"


def report_markdown(report: Report) -> str:
    """report.md: the counts (as the headings below count them), then who, by name."""
    c = report.counts()
    lines = [
        f"# Sync report {report.today.isoformat()}",
        "",
        f"Source: `{report.source}` ({_n(c['rows'], 'row')}).",
        "",
    ]
    lines += [f"> **Warning:** {_md(notice)}" for notice in report.notices]
    if report.notices:
        lines.append("")
    lines += ["| | count |", "| --- | ---: |"]
    lines += [f"| {COUNT_LABELS.get(key, key)} | {value:,} |" for key, value in c.items()]
    lines.append("")
    for title, ids in (
        ("Hires", report.hires),
        ("Dropped after the grace period", report.dropped),
        ("Protected, kept although absent", report.protected_kept),
        ("Held: absent from a broken export, kept as they were", report.held),
        ("Contract ended before their first render (not rendered)", report.ended),
    ):
        if ids:
            lines += [f"## {title}: {_n(len(ids), 'person', 'people')}", "", _named(report, ids)]
            lines.append("")
    if report.reactivated:
        lines += [f"## Reactivated: {_n(len(report.reactivated), 'person', 'people')}", ""]
        said = [f"{_md(report.who(e))}: {_back(report, e)}" for e in report.reactivated]
        lines += [*_listed(said), ""]
    if report.leavers:
        lines += [f"## Leavers, suspended today: {_n(len(report.leavers), 'person', 'people')}"]
        said = [f"{_md(report.who(e))}: {_left(report, e)}" for e in report.leavers]
        lines += ["", *_listed(said), ""]
    if report.out_of_scope:
        lines += _out_of_scope(report)
    if report.prehires:
        lines += [f"## Pre-hires: {_n(len(report.prehires), 'person', 'people')}", ""]
        said = [f"{_md(report.who(e))} starts {d.isoformat()}" for e, d in report.prehires]
        lines += [*_listed(said), ""]
    for kind, title in (
        ("rejected", "Rejected (new people, not rendered)"),
        ("quarantined", "Quarantined (kept exactly as they were)"),
    ):
        issues = report.issues_of(kind)  # type: ignore[arg-type]
        if issues:
            people = _n(_people(issues), "person", "people")
            problems = f" ({_n(len(issues), 'problem')})" if len(issues) != _people(issues) else ""
            lines += [f"## {title}: {people}{problems}", "", *_issue_table(report, issues)]
    warnings = report.issues_of("warning")
    if warnings:
        lines += [f"## Warnings: {len(warnings):,}", "", *_issue_table(report, warnings)]
    if report.merges:
        lines += [f"## Merged contracts: {_n(len(report.merges), 'person', 'people')}", ""]
        lines += _listed(
            [
                f"{_md(report.who(m.employee_id))}: lines {', '.join(map(str, m.lines))}, "
                f"primary line {m.primary_line}"
                for m in report.merges
            ]
        )
        lines.append("")
    if report.unmapped_codes:
        codes = sum(len(c) for c in report.unmapped_codes.values())
        lines += [
            f"## HR codes that no rule maps: {codes:,}",
            "",
            "| field | code | rows | fix |",
            "| --- | --- | ---: | --- |",
        ]
        for fld, found in report.unmapped_codes.items():
            lines += [
                f"| {_md(fld)} | {_code(code)} | {n:,} | {_fix(report, fld, code)} |"
                for code, n in found.items()
            ]
        lines.append("")
    if report.unused_rules:
        lines += [f"## Rules that matched nobody: {len(report.unused_rules):,}", ""]
        lines += [", ".join(_md(r) for r in report.unused_rules), ""]
    return "\n".join(lines)


def _code(text: str) -> str:
    """A code span in a table cell: the value as written (backticks and bars cannot break it)."""
    return "`" + _MD_CONTROL.sub(" ", text).replace("`", "'").replace("|", "\\|") + "`"


def _fix(report: Report, field_name: str, code: str) -> str:
    """``add `'999'` to `hr_codes` of a department in `org-units.yaml`, or …`` (Markdown)."""
    return (
        f"add {_code(repr(code))} to `hr_codes` of {report.units_for(field_name)} in "
        "`org-units.yaml`, "
        "or correct the code in the HR system"
    )


def _issue_table(report: Report, issues: tuple[Issue, ...]) -> list[str]:
    rows = ["| line | employee | reason |", "| ---: | --- | --- |"]
    rows += [
        f"| {i.line or ''} | {_md(report.who(i.employee_id, i.line))} | {_md(i.reason)} |"
        for i in issues
    ]
    return [*rows, ""]


def _out_of_scope(report: Report) -> list[str]:
    """The out-of-scope section: how many each skip rule left out, then who (first row, rule),
    those still in Speakap (suspended, waiting for the grace period) marked."""
    scoped = report.out_of_scope
    per_rule: dict[str, int] = {}
    for item in scoped:
        per_rule[item.rule] = per_rule.get(item.rule, 0) + 1
    rules = ", ".join(f"`{rule}` {n:,}" for rule, n in sorted(per_rule.items()))
    lines = [
        f"## Out of scope: {_n(len(scoped), 'person', 'people')}",
        "",
        f"Rows a `skip` rule leaves out: not rendered, not rejected. By rule: {rules}.",
        "",
        "| line | employee | rule | in Speakap |",
        "| ---: | --- | --- | --- |",
    ]
    suspended = set(report.suspended)
    lines += [
        f"| {s.line} | {_md(report.who(s.employee_id, s.line))} | {s.rule} | "
        f"{'suspended (grace period)' if s.employee_id in suspended else ''} |"
        for s in scoped[:_LIMIT]
    ]
    if len(scoped) > _LIMIT:
        lines.append(f"| | … and {len(scoped) - _LIMIT:,} more in report.csv | | |")
    return [*lines, ""]


def write_report(report: Report, directory: Path) -> list[Path]:
    """Write report.md, report.csv and report.json into ``directory`` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    outputs = {
        "report.md": report_markdown(report),
        "report.csv": report_csv(report),
        "report.json": json.dumps(report.to_json(), indent=2, ensure_ascii=False) + "\n",
    }
    paths = []
    for name, text in outputs.items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
