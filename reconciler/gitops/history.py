"""A person's story, told from git: every reviewed change to their desired state.

The desired state is committed, so ``git log`` over the person's shard already holds when they
joined, moved, were renamed, suspended or dropped, and by which commit (a render PR's title is
its subject). This module walks those commits and compares the person's record from one to the
next; it never reads the live network.

Steps:
1. find the repository and the state folder's path inside it;
2. list the commits that touched any file the person's record can live in (the shard name
   depends on the shard count, which may have changed over time), oldest first;
3. read the person's record at each of them and keep the commits where it changed;
4. describe each change (joined, moved +unit -unit, field old -> new, suspended, dropped) and
   whether an apply has carried it out (the commit is an ancestor of the last-applied tag);
5. then, for every branch not merged into HEAD (an open render or revert pull request), the
   changes it would make to the person, marked as in review.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import git

from reconciler.desired.last_applied import LAST_APPLIED_REF
from reconciler.desired.state import SHARD_COUNTS, parse_users, shard_name
from reconciler.errors import InputError, StateError
from reconciler.model import PROFILE_FIELDS, Person, mask_email, mask_phone

_FIELDS = (*PROFILE_FIELDS, "business_unit", "department", "invite_channel", "end_date")
_LABELS = {
    "given_name": "first name",
    "infix": "infix",
    "family_name": "family name",
    "email": "email",
    "phone": "phone",
    "job_title": "job title",
    "language": "language",
    "business_unit": "business unit",
    "department": "department",
    "invite_channel": "invite channel",
    "end_date": "end date",
}


@dataclass(frozen=True, slots=True)
class Change:
    """One thing that happened to the person in one commit."""

    kind: str  # joined | moved | changed | suspended | reactivated | dropped | rejoined
    text: str


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """A commit that changed the person's desired state."""

    commit: str
    date: str  # ISO 8601, the commit's date
    subject: str
    changes: tuple[Change, ...]
    applied: bool  # an apply has carried this commit out (ancestor of the last-applied tag)
    branch: str | None = None  # in review on this unmerged branch (None: in HEAD's history)

    def to_json(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "date": self.date,
            "subject": self.subject,
            "applied": self.applied,
            "in_review_on": self.branch,
            "changes": [{"kind": c.kind, "text": c.text} for c in self.changes],
        }


@dataclass(frozen=True, slots=True)
class History:
    employee_id: str
    name: str | None  # the latest known display name
    entries: tuple[HistoryEntry, ...]
    last_applied: str | None  # the commit the last-applied tag points at

    def to_json(self) -> dict[str, Any]:
        return {
            "employee_id": self.employee_id,
            "name": self.name,
            "last_applied": self.last_applied,
            "entries": [e.to_json() for e in self.entries],
        }


def person_history(state_dir: Path, employee_id: str, *, show_pii: bool = False) -> History:
    """The story of ``employee_id`` in the git history of ``state_dir``, oldest first."""
    repo = _repo(state_dir)
    rel = _relative(state_dir, repo)
    paths = [
        f"{rel}/{shard_name(employee_id, n)}" if rel else shard_name(employee_id, n)
        for n in SHARD_COUNTS
    ]
    applied_tip = _tag_commit(repo)
    entries, merged, name = _story(
        repo, _commits(repo, paths), paths, employee_id, None, applied_tip, show_pii
    )
    for branch, rev in _unmerged_branches(repo):
        pending, _, proposed = _story(
            repo,
            _commits(repo, paths, f"HEAD..{rev}"),
            paths,
            employee_id,
            merged,
            applied_tip,
            show_pii,
            branch=branch,
        )
        entries.extend(pending)
        name = name or proposed  # only a branch knows them yet
    return History(employee_id, name, tuple(entries), applied_tip)


def _story(
    repo: git.Repo,
    commits: Sequence[git.Commit],
    paths: Sequence[str],
    employee_id: str,
    before: Person | None,
    applied_tip: str | None,
    show_pii: bool,
    *,
    branch: str | None = None,
) -> tuple[list[HistoryEntry], Person | None, str | None]:
    """The entries of ``commits`` (oldest first) that changed the person, starting from the
    record ``before``; the record after the last of them; the latest name they had."""
    entries: list[HistoryEntry] = []
    name = before.display_name if before is not None else None
    for commit in commits:
        after = _person_at(commit, paths, employee_id)
        if after == before:
            continue
        changes = tuple(describe(before, after, show_pii=show_pii))
        if after is not None:
            name = after.display_name
        if changes:
            entries.append(
                HistoryEntry(
                    commit=commit.hexsha,
                    date=commit.committed_datetime.date().isoformat(),
                    subject=commit.summary if isinstance(commit.summary, str) else "",
                    changes=changes,
                    applied=_is_applied(repo, commit.hexsha, applied_tip),
                    branch=branch,
                )
            )
        before = after
    return entries, before, name


def person_records(
    state_dir: Path, employee_id: str, *, all_refs: bool = False
) -> Iterator[tuple[git.Commit, Person | None]]:
    """Every commit that touched a file the person's record can live in, oldest first, with
    the record at that commit (None: not in it). ``all_refs``: the commits of every branch
    and tag, not only HEAD's history."""
    repo = _repo(state_dir)
    rel = _relative(state_dir, repo)
    paths = [
        f"{rel}/{shard_name(employee_id, n)}" if rel else shard_name(employee_id, n)
        for n in SHARD_COUNTS
    ]
    for commit in _commits(repo, paths, "--all" if all_refs else "HEAD"):
        yield commit, _person_at(commit, paths, employee_id)


def describe(before: Person | None, after: Person | None, *, show_pii: bool) -> Iterator[Change]:
    """What changed between two versions of one person's record (None: not in the state)."""
    if before is None and after is None:
        return
    if after is None:
        assert before is not None
        yield Change("dropped", f"dropped from the desired state ({before.display_name})")
        return
    if before is None:
        where = after.business_unit or "no business unit"
        status = "" if after.status == "active" else f", {after.status}"
        yield Change("joined", f"joined: {after.display_name}, {where}{status}")
        return
    if before.status != after.status:
        if after.status == "suspended":
            since = f" on {after.suspended_on.isoformat()}" if after.suspended_on else ""
            scope = f": out of scope (rule {after.out_of_scope})" if after.out_of_scope else ""
            yield Change("suspended", f"suspended{since}{scope}")
        else:
            yield Change("reactivated", "reactivated")
    added = sorted(set(after.memberships) - set(before.memberships))
    removed = sorted(set(before.memberships) - set(after.memberships))
    if added or removed:
        units = " ".join([*(f"+{u}" for u in added), *(f"-{u}" for u in removed)])
        yield Change("moved", f"memberships {units}")
    for field in _FIELDS:
        old, new = getattr(before, field), getattr(after, field)
        if old != new:
            shown = f"{_show(field, old, show_pii)} -> {_show(field, new, show_pii)}"
            yield Change("changed", f"{_LABELS[field]}: {shown}")


def render_text(history: History) -> str:
    """The story as a person reads it in a terminal."""
    who = f"{history.employee_id} {history.name}" if history.name else history.employee_id
    if not history.entries:
        return f"{who}: no change in the desired state's git history\n"
    count = len(history.entries)
    changes = "1 change" if count == 1 else f"{count:,} changes"
    lines = [f"{who}: {changes} in the desired state's git history"]
    for entry in history.entries:
        if entry.branch is not None:
            state = f"in review on {entry.branch}, not merged"
        else:
            state = "applied" if entry.applied else "not applied yet"
        lines.append(f"{entry.date}  {entry.commit[:12]}  {entry.subject}  [{state}]")
        lines.extend(f"    {change.text}" for change in entry.changes)
    return "\n".join(lines) + "\n"


# -- git ------------------------------------------------------------------------------------------


def _repo(state_dir: Path) -> git.Repo:
    try:
        return git.Repo(state_dir, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise InputError("the desired state is not in a git repository", file=state_dir) from None


def _relative(state_dir: Path, repo: git.Repo) -> str:
    root = Path(str(repo.working_tree_dir)).resolve()
    rel = state_dir.resolve().relative_to(root).as_posix()
    return "" if rel == "." else rel


def _commits(repo: git.Repo, paths: Sequence[str], rev: str = "HEAD") -> list[git.Commit]:
    """Commits of ``rev``'s history that touched one of ``paths``, oldest first."""
    try:
        return list(repo.iter_commits(rev, paths=list(paths), reverse=True))
    except (git.GitCommandError, ValueError):
        return []  # no commit yet


def _unmerged_branches(repo: git.Repo) -> list[tuple[str, str]]:
    """(name, ref) of each local or remote-tracking branch with commits HEAD lacks, one per
    tip commit (a local branch is named before its remote copy)."""
    try:
        head = repo.head.commit
    except ValueError:
        return []
    seen: set[str] = set()
    found: list[tuple[str, str]] = []
    refs: list[git.Reference] = [*repo.branches]
    for remote in repo.remotes:
        refs.extend(ref for ref in remote.refs if not ref.name.endswith("/HEAD"))
    for ref in refs:
        try:
            tip = ref.commit
        except ValueError:
            continue
        if tip.hexsha in seen or tip == head or repo.is_ancestor(tip, head):
            continue
        seen.add(tip.hexsha)
        name = ref.remote_head if isinstance(ref, git.RemoteReference) else ref.name
        if name in {n for n, _ in found}:
            continue  # the remote copy of a local branch, at another commit: the local one speaks
        found.append((name, ref.path))
    return found


def _person_at(commit: git.Commit, paths: Sequence[str], employee_id: str) -> Person | None:
    for path in paths:
        try:
            blob = commit.tree / path
        except KeyError:
            continue
        text = blob.data_stream.read().decode("utf-8")
        try:
            people = parse_users(text, f"{path} ({commit.hexsha[:12]})")
        except StateError:
            continue  # a broken shard in an old commit tells nothing about this person
        for person in people:
            if person.employee_id == employee_id:
                return person
    return None


def _tag_commit(repo: git.Repo) -> str | None:
    try:
        return str(repo.commit(f"refs/tags/{LAST_APPLIED_REF}").hexsha)
    except (git.BadName, ValueError):
        return None


def _is_applied(repo: git.Repo, sha: str, tip: str | None) -> bool:
    if tip is None:
        return False
    return sha == tip or bool(repo.is_ancestor(repo.commit(sha), repo.commit(tip)))


def _show(field: str, value: Any, show_pii: bool) -> str:
    if value is None or value == "":
        return "(none)"
    text = str(value)
    if not show_pii and field == "email":
        return mask_email(text)
    if not show_pii and field == "phone":
        return mask_phone(text)
    return text
