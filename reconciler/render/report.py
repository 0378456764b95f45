"""The sync report: who could not be processed and why, and what the render changed.

``Report`` is a plain value that render returns; ``write_report`` turns it into three files
in a directory: ``report.md`` (a summary for people), ``report.csv`` (one line per rejected,
quarantined or warned row, for a spreadsheet) and ``report.json`` (everything, for tools).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from reconciler.errors import StateError
from reconciler.model import DesiredState

if TYPE_CHECKING:
    from reconciler.desired.config import Config

IssueKind = Literal["rejected", "quarantined", "warning"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One row that was rejected, a person kept as they were (quarantined), or a warning."""

    kind: IssueKind
    line: int | None
    employee_id: str | None
    reason: str


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
    protected_kept: tuple[str, ...] = ()
    held: tuple[str, ...] = ()  # absent while the export is broken: kept, not suspended
    issues: tuple[Issue, ...] = ()
    merges: tuple[Merge, ...] = ()
    unmapped_codes: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    unused_rules: tuple[str, ...] = ()
    notices: tuple[str, ...] = ()  # warnings about the run as a whole

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
            "rejected": _people(self.issues_of("rejected")),
            "quarantined": _people(self.issues_of("quarantined")),
            "warnings": len(self.issues_of("warning")),
            "merged": len(self.merges),
        }

    def summary(self) -> str:
        """One line for the terminal, in singular or plural as the counts ask."""
        c = self.counts()
        return (
            f"{_n(c['people'], 'person', 'people')} ({c['active']} active, "
            f"{c['suspended']} suspended): {_n(c['hires'], 'hire')}, "
            f"{c['reactivated']} reactivated, {c['updated']} updated, "
            f"{_n(c['leavers'], 'leaver')}, {c['dropped']} dropped, "
            f"{_n(c['prehires'], 'pre-hire')}; {c['rejected']} rejected, "
            f"{c['quarantined']} quarantined, {_n(c['warnings'], 'warning')}"
        )

    def to_json(self) -> dict[str, Any]:
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
            "unused_rules": list(self.unused_rules),
            "notices": list(self.notices),
        }


def _n(count: int, singular: str, plural: str | None = None) -> str:
    """``1 hire``, ``2 hires``; ``plural`` for irregular nouns (person, people)."""
    return f"{count} {singular if count == 1 else plural or singular + 's'}"


def _people(issues: tuple[Issue, ...]) -> int:
    """How many people (or id-less rows) the issues concern."""
    return len({i.employee_id or f"line {i.line}" for i in issues})


def report_csv(report: Report) -> str:
    """One row per issue. Admins open this in a spreadsheet, and the ids and reasons quote HR
    data: a cell that a spreadsheet would run as a formula is written as text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["kind", "line", "employee_id", "reason"])
    for issue in report.issues:
        writer.writerow(
            [issue.kind, issue.line or "", _cell(issue.employee_id or ""), _cell(issue.reason)]
        )
    return out.getvalue()


def _cell(text: str) -> str:
    # OWASP's advice on CSV injection: a leading = + - @ (or tab/CR) makes a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _ids(ids: tuple[str, ...], limit: int = 50) -> str:
    shown = ", ".join(ids[:limit])
    return shown + (f", … ({len(ids) - limit} more)" if len(ids) > limit else "")


def report_markdown(report: Report) -> str:
    c = report.counts()
    lines = [
        f"# Sync report {report.today.isoformat()}",
        "",
        f"Source: `{report.source}` ({c['rows']} rows).",
        "",
    ]
    lines += [f"> **Warning:** {notice}" for notice in report.notices]
    if report.notices:
        lines.append("")
    lines += ["| | count |", "| --- | ---: |"]
    lines += [f"| {name} | {value} |" for name, value in c.items()]
    lines.append("")
    for title, ids in (
        ("Hires", report.hires),
        ("Reactivated inside the grace period", report.reactivated),
        ("Leavers (suspended today)", report.leavers),
        ("Dropped after the grace period", report.dropped),
        ("Protected, kept although absent", report.protected_kept),
        ("Held: absent from a broken export, kept as they were", report.held),
        ("Left before their first render (not rendered)", report.ended),
    ):
        if ids:
            lines += [f"## {title} ({len(ids)})", "", _ids(ids), ""]
    if report.prehires:
        lines += [f"## Pre-hires ({len(report.prehires)})", ""]
        lines += [f"- {e} starts {d.isoformat()}" for e, d in report.prehires]
        lines.append("")
    for kind, title in (
        ("rejected", "Rejected rows (new people, not rendered)"),
        ("quarantined", "Quarantined (kept exactly as they were)"),
        ("warning", "Warnings"),
    ):
        issues = report.issues_of(kind)  # type: ignore[arg-type]
        if issues:
            lines += [f"## {title} ({len(issues)})", "", "| line | employee | reason |"]
            lines.append("| ---: | --- | --- |")
            lines += [
                f"| {i.line or ''} | {i.employee_id or ''} | {i.reason.replace('|', '/')} |"
                for i in issues
            ]
            lines.append("")
    if report.merges:
        lines += [f"## Merged contracts ({len(report.merges)})", ""]
        lines += [
            f"- {m.employee_id}: lines {', '.join(map(str, m.lines))}, primary line "
            f"{m.primary_line}"
            for m in report.merges
        ]
        lines.append("")
    if report.unmapped_codes:
        lines += [
            "## HR codes that no rule maps",
            "",
            "| field | code | rows |",
            "| --- | --- | ---: |",
        ]
        for fld, codes in report.unmapped_codes.items():
            lines += [f"| {fld} | `{code}` | {n} |" for code, n in codes.items()]
        lines.append("")
    if report.unused_rules:
        lines += ["## Rules that matched nobody", "", _ids(report.unused_rules), ""]
    return "\n".join(lines)


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


def explain(employee_id: str, config: Config, state: DesiredState) -> str:
    """A person's desired state, their org units by name, and the rules that fired."""
    person = state.people_by_id().get(employee_id)
    if person is None:
        raise StateError("not in the desired state", employee_id=employee_id)
    units = state.org_units_by_key()
    rules = {r.name: r for r in config.rules}
    lines = [f"{person.employee_id}: {person.display_name}"]
    status: str = person.status
    if person.suspended_on is not None:
        status += f" since {person.suspended_on.isoformat()}"
    lines.append(f"  status: {status}")
    for name in ("email", "phone", "job_title", "language", "invite_channel"):
        value = getattr(person, name)
        if value is not None:
            lines.append(f"  {name}: {value}")
    for name in ("start_date", "end_date"):
        value = getattr(person, name)
        if value is not None:
            lines.append(f"  {name}: {value.isoformat()}")
    lines.append("  memberships:")
    for key in person.memberships:
        unit = units.get(key)
        marks = [
            m
            for m, k in (("primary", person.business_unit), ("dept", person.department))
            if k == key
        ]
        label = f"{unit.kind} {unit.name!r}" if unit else "UNDECLARED"
        lines.append(f"    - {key} ({label}){' [' + ', '.join(marks) + ']' if marks else ''}")
    lines.append("  rules fired, in order:")
    for name in person.rules:
        rule = rules.get(name)
        where = f"rules.yaml:{rule.line}" if rule and rule.line else "no longer in rules.yaml"
        text = f" - {rule.description}" if rule and rule.description else ""
        lines.append(f"    - {name} ({where}){text}")
    if not person.rules:
        lines.append("    (none)")
    return "\n".join(lines)
