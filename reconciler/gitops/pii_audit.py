"""Which commits of the desired state's git history hold one person's personal data.

An erasure request needs to know where a person's name and contact data live: every version
of a users shard that holds their record is a blob in git, kept for ever. This module walks
the commits of every branch and tag that wrote a file the person's record can live in
(``gitops.history.person_records``) and says, per commit, what the record held there: the
name, a plain email or phone, or only commitments of them (``contacts_in_git: false``). It
reads git only; rewriting history is the customer's decision (docs/security.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reconciler.gitops.history import person_records
from reconciler.model import Person


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One commit whose desired state holds the person's record."""

    commit: str
    date: str  # ISO 8601, the commit's date
    subject: str
    holds: tuple[str, ...]  # "name", "email", "phone": in plain text
    commitments: tuple[str, ...]  # "email_ref", "phone_ref": keyed commitments only

    @property
    def plain_contacts(self) -> bool:
        return "email" in self.holds or "phone" in self.holds

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "date": self.date,
            "subject": self.subject,
            "holds": list(self.holds),
            "commitments": list(self.commitments),
        }


@dataclass(frozen=True, slots=True)
class Audit:
    employee_id: str
    entries: tuple[AuditEntry, ...]

    @property
    def with_contacts(self) -> int:
        return sum(1 for e in self.entries if e.plain_contacts)

    def to_json(self) -> dict[str, Any]:
        return {
            "employee_id": self.employee_id,
            "commits": len(self.entries),
            "commits_with_plain_contacts": self.with_contacts,
            "entries": [e.to_json() for e in self.entries],
        }


def pii_audit(state_dir: Path, employee_id: str) -> Audit:
    """The commits, on any branch or tag, whose desired state holds the person's record."""
    entries: list[AuditEntry] = []
    for commit, person in person_records(state_dir, employee_id, all_refs=True):
        if person is None:
            continue
        entries.append(
            AuditEntry(
                commit=commit.hexsha,
                date=commit.committed_datetime.date().isoformat(),
                subject=commit.summary if isinstance(commit.summary, str) else "",
                holds=_holds(person),
                commitments=tuple(
                    f for f in ("email_ref", "phone_ref") if getattr(person, f) is not None
                ),
            )
        )
    return Audit(employee_id, tuple(entries))


def _holds(person: Person) -> tuple[str, ...]:
    return ("name", *(f for f in ("email", "phone") if getattr(person, f) is not None))


def render_text(audit: Audit) -> str:
    """The audit as a person reads it in a terminal: what each commit holds, never the values."""
    if not audit.entries:
        return f"{audit.employee_id}: no commit of the desired state holds this person's record\n"
    lines = [
        f"{audit.employee_id}: {len(audit.entries)} commit(s) hold this person's record, "
        f"{audit.with_contacts} of them a plain email or phone"
    ]
    for entry in audit.entries:
        held = ", ".join(entry.holds)
        if entry.commitments:
            held += f" (commitments only: {', '.join(entry.commitments)})"
        lines.append(f"{entry.date}  {entry.commit[:12]}  {held}  {entry.subject}")
    return "\n".join(lines) + "\n"
