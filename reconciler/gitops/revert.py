"""Revert a render: a pull-request branch that puts back the people a render commit changed.

Reverting a sync is undoing one reviewed change to the desired state, so it goes through review
like any other: this module proposes, the plan workflow shows what Speakap will see, merging
applies it. A person suspended by the reverted render is active again in the proposal, and the
plan reactivates the same account (inside the grace period it still exists); a person the render
added is suspended, never dropped outright, so the grace period protects them as any leaver.

Steps:
1. read the people of the reverted commit, of its parent and of HEAD (``users/*.yaml`` only);
2. every person whose record the commit changed gets their record from before it back, unless
   a later commit changed them again (then they are kept as they are now and listed);
3. write the result as shards (HEAD's shard count) in a private index on top of HEAD, as the
   revert branch; the caller's checkout, index and branch are never touched;
4. describe the outcome per person, for the terminal and the pull request's body.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import git

from reconciler.desired.state import SHARD_COUNTS, USERS_DIR, parse_users, render_shards
from reconciler.errors import InputError, StateError
from reconciler.gitops.branch import GitOpsError, _git, _identity, _relative, open_repo
from reconciler.model import Person


@dataclass(frozen=True, slots=True)
class Restored:
    """What the revert does to one person, in the words of the plan it leads to."""

    employee_id: str
    name: str
    outcome: str


@dataclass(frozen=True, slots=True)
class RevertProposal:
    reverted: str  # the reverted commit's id
    subject: str
    branch: str
    sha: str  # the revert commit on ``branch``
    restored: tuple[Restored, ...]
    kept: tuple[Restored, ...]  # changed again after the reverted commit: left as they are now

    def title(self) -> str:
        return f"speakap-sync: revert {self.reverted[:12]} ({self.subject})"

    def body(self) -> str:
        lines = [
            f"Reverts the desired-state changes of `{self.reverted[:12]}` ({self.subject}).",
            "The plan workflow comments what this would change in Speakap; merging applies it.",
            "",
            f"**{len(self.restored)} person(s) put back as they were before that render:**",
            "",
        ]
        lines += [f"- {r.name} ({r.employee_id}): {r.outcome}" for r in self.restored]
        if self.kept:
            lines += ["", f"**{len(self.kept)} person(s) changed again since, kept as they are:**"]
            lines += [""] + [f"- {r.name} ({r.employee_id}): {r.outcome}" for r in self.kept]
        lines += [
            "",
            "The next scheduled render proposes the HR export's view again: fix the HR data or "
            "pause the render workflow first if the reverted change came from it.",
        ]
        return "\n".join(lines) + "\n"


def propose_revert(
    state_dir: Path, commit: str, branch: str | None = None, *, today: date | None = None
) -> RevertProposal:
    """Build the revert of ``commit`` as ``branch`` (default ``speakap-sync/revert-<id>``)."""
    today = today or date.today()
    repo = open_repo(state_dir)
    rel = _relative(repo, state_dir)
    rel = "" if rel == "." else rel
    target = _commit(repo, commit)
    if not target.parents:
        raise InputError(f"{commit} is the repository's first commit: there is nothing before it")
    before = _people_at(target.parents[0], rel)
    after = _people_at(target, rel)
    head = repo.head.commit
    now = _people_at(head, rel)
    touched = sorted(
        eid for eid in before.keys() | after.keys() if before.get(eid) != after.get(eid)
    )
    if not touched:
        raise InputError(f"{commit} changed nobody in {state_dir}: it is not a render commit")
    result = dict(now)
    restored: list[Restored] = []
    kept: list[Restored] = []
    for eid in touched:
        old, new, current = before.get(eid), after.get(eid), now.get(eid)
        if current != new:
            kept.append(_entry(eid, current or new or old, "changed again since: kept as it is"))
            continue
        if old is None:  # added by that render: suspended, so the grace period protects them
            assert current is not None
            result[eid] = _suspended(current, today)
        else:
            result[eid] = old
        restored.append(_entry(eid, old or new, _outcome(old, new)))
    files = render_shards(result.values(), _shard_count(head, rel))
    subject = target.summary if isinstance(target.summary, str) else ""
    name = branch or f"speakap-sync/revert-{target.hexsha[:12]}"
    sha = _commit_files(repo, head, rel, files, f"speakap-sync: revert {target.hexsha[:12]}")
    _git(repo, "update-ref", f"refs/heads/{name}", sha)
    return RevertProposal(target.hexsha, subject, name, sha, tuple(restored), tuple(kept))


def push(state_dir: Path, proposal: RevertProposal, remote: str = "origin") -> None:
    repo = open_repo(state_dir)
    _git(repo, "push", "--force", remote, f"{proposal.sha}:refs/heads/{proposal.branch}")


def _outcome(old: Person | None, new: Person | None) -> str:
    if old is None:
        return "added by that render: suspended (deleted or anonymized after the grace period)"
    if new is None:
        return "dropped by that render: back as before (a new account if Speakap deleted it)"
    if old.status == "active" and new.status == "suspended":
        return "suspended by that render: active again (the plan reactivates the same account)"
    if old.status == "suspended" and new.status == "active":
        return "reactivated by that render: suspended again"
    fields = [
        f
        for f in ("business_unit", "job_title", "given_name", "family_name", "infix")
        if getattr(old, f) != getattr(new, f)
    ]
    if old.memberships != new.memberships and "business_unit" not in fields:
        fields.append("memberships")
    shown = ", ".join(f.replace("_", " ") for f in fields) or "contact or other fields"
    return f"{shown} put back"


def _suspended(person: Person, today: date) -> Person:
    if person.status == "suspended":
        return person
    return replace(person, status="suspended", suspended_on=today)


def _entry(eid: str, person: Person | None, outcome: str) -> Restored:
    return Restored(eid, person.display_name if person else eid, outcome)


def _commit(repo: git.Repo, rev: str) -> git.Commit:
    try:
        return repo.commit(rev)
    except (git.BadName, ValueError):
        raise InputError(f"{rev!r} is not a commit of this repository") from None


def _people_at(commit: git.Commit, rel: str) -> dict[str, Person]:
    folder = f"{rel}/{USERS_DIR}" if rel else USERS_DIR
    try:
        tree = commit.tree / folder
    except KeyError:
        return {}
    people: dict[str, Person] = {}
    for blob in tree.blobs:
        if not blob.name.endswith(".yaml"):
            continue
        text = blob.data_stream.read().decode("utf-8")
        try:
            found = parse_users(text, f"{blob.path} ({commit.hexsha[:12]})")
        except StateError as err:
            raise InputError(f"cannot read the people at {commit.hexsha[:12]}: {err}") from None
        people.update((p.employee_id, p) for p in found)
    return people


def _shard_count(commit: git.Commit, rel: str) -> int:
    folder = f"{rel}/{USERS_DIR}" if rel else USERS_DIR
    try:
        names = [b.name.removesuffix(".yaml") for b in (commit.tree / folder).blobs]
    except KeyError:
        return 16
    widths = {len(n) for n in names if n != "all" and all(c in "0123456789abcdef" for c in n)}
    if "all" in names or not widths:
        return 1 if "all" in names else 16
    width = max(widths)
    return next((n for n in SHARD_COUNTS if len(f"{n - 1:x}") == width and n > 1), 16)


def _commit_files(
    repo: git.Repo, head: git.Commit, rel: str, files: dict[str, str], message: str
) -> str:
    """A commit on ``head`` whose users/ holds exactly ``files``, built in a private index."""
    fd, index_file = tempfile.mkstemp(prefix="speakap-sync-index-")
    os.close(fd)
    env = {"GIT_INDEX_FILE": index_file, **_identity(repo)}
    prefix = f"{rel}/" if rel else ""
    try:
        _git(repo, "read-tree", head.hexsha, env=env)
        _git(
            repo,
            "rm",
            "--cached",
            "--quiet",
            "-r",
            "--ignore-unmatch",
            "--",
            f"{prefix}{USERS_DIR}/*.yaml",
            env=env,
        )
        for name, text in sorted(files.items()):
            blob = _hash_object(repo, text)
            _git(
                repo,
                "update-index",
                "--add",
                "--cacheinfo",
                f"100644,{blob},{prefix}{name}",
                env=env,
            )
        tree = _git(repo, "write-tree", env=env)
        if tree == head.tree.hexsha:
            raise GitOpsError("the revert changes nothing: HEAD already holds that state")
        return _git(repo, "commit-tree", tree, "-p", head.hexsha, "-m", message, env=env)
    finally:
        Path(index_file).unlink(missing_ok=True)


def _hash_object(repo: git.Repo, text: str) -> str:
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", delete=False, suffix=".yaml") as fh:
        fh.write(text)
        path = fh.name
    try:
        return _git(repo, "hash-object", "-w", "--", path)
    finally:
        Path(path).unlink(missing_ok=True)


def open_pull_request(state_dir: Path, proposal: RevertProposal, base: str) -> tuple[str, int, str]:
    """Push the revert branch and open (or update) its pull request into ``base``.

    Returns the outcome (created/updated), the pull request's number and its URL."""
    from reconciler.gitops.github import GitHubClient, GitHubContext

    push(state_dir, proposal)
    with GitHubClient(GitHubContext.from_env()) as client:
        outcome, pull = client.upsert_pull(proposal.branch, base, proposal.title(), proposal.body())
    return outcome, pull.number, pull.url
