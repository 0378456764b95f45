"""Git for the render pull request: commit desired-state/ to a branch and push it.

The commit is built in a private index from the current HEAD, so the caller's checkout, index
and branch stay as they were; only the render branch moves. Nothing is committed or pushed when
desired-state/ did not change, and nothing is pushed when the remote branch already holds the
same tree (a re-run of the same render does not re-trigger the plan workflow).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import git

from reconciler.errors import SyncError

DEFAULT_BRANCH = "speakap-sync/render"
_AUTHOR = ("speakap-sync", "speakap-sync@users.noreply.github.com")
_CREDENTIALS = re.compile(r"(https?://)[^/@\s]+@")


class GitOpsError(SyncError):
    """A git command failed while preparing or pushing the render branch."""


@dataclass(frozen=True, slots=True)
class RenderCommit:
    """What ``commit_render`` did: the commit on the render branch and whether it was pushed."""

    branch: str
    sha: str
    changed: tuple[str, ...]  # paths under the state folder, relative to the repository root
    pushed: bool


def open_repo(path: Path) -> git.Repo:
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise GitOpsError("not inside a git repository", file=path) from None


def changed_paths(repo: git.Repo, state_dir: Path) -> tuple[str, ...]:
    """Files under ``state_dir`` that differ from HEAD (modified, added, deleted, untracked)."""
    rel = _relative(repo, state_dir)
    out = _git(repo, "status", "--porcelain=v1", "-z", "--untracked-files=all", "--", rel)
    entries = [e for e in out.split("\0") if e]
    paths: list[str] = []
    skip = False
    for entry in entries:
        if skip:  # the source path of a rename follows its entry
            skip = False
            continue
        status, path = entry[:2], entry[3:]
        skip = "R" in status or "C" in status
        paths.append(path)
    return tuple(sorted(paths))


def commit_render(
    repo_dir: Path,
    state_dir: Path,
    message: str,
    *,
    branch: str = DEFAULT_BRANCH,
    remote: str = "origin",
    push: bool = True,
) -> RenderCommit | None:
    """Commit ``state_dir`` as it is on disk onto HEAD, as ``branch``; push it to ``remote``.

    Returns None when ``state_dir`` equals HEAD's (nothing to propose).
    """
    repo = open_repo(repo_dir)
    changed = changed_paths(repo, state_dir)
    if not changed:
        return None
    sha = _commit_in_private_index(repo, _relative(repo, state_dir), message)
    _git(repo, "update-ref", f"refs/heads/{branch}", sha)
    pushed = False
    if push and not _remote_has_tree(repo, remote, branch, sha):
        _git(repo, "push", "--force", remote, f"{sha}:refs/heads/{branch}")
        pushed = True
    return RenderCommit(branch=branch, sha=sha, changed=changed, pushed=pushed)


def _commit_in_private_index(repo: git.Repo, rel: str, message: str) -> str:
    fd, index_file = tempfile.mkstemp(prefix="speakap-sync-index-")
    os.close(fd)
    env = {"GIT_INDEX_FILE": index_file, **_identity(repo)}
    try:
        _git(repo, "read-tree", "HEAD", env=env)
        _git(repo, "add", "--all", "--", rel, env=env)
        tree = _git(repo, "write-tree", env=env)
        return _git(repo, "commit-tree", tree, "-p", "HEAD", "-m", message, env=env)
    finally:
        Path(index_file).unlink(missing_ok=True)


def _remote_has_tree(repo: git.Repo, remote: str, branch: str, sha: str) -> bool:
    """True when the remote branch already points at a commit with the same tree."""
    listing = _git(repo, "ls-remote", remote, f"refs/heads/{branch}")
    if not listing:
        return False
    remote_sha = listing.split()[0]
    try:
        _git(repo, "fetch", "--quiet", remote, f"refs/heads/{branch}")
        remote_tree = _git(repo, "rev-parse", f"{remote_sha}^{{tree}}")
    except GitOpsError:
        return False
    return remote_tree == _git(repo, "rev-parse", f"{sha}^{{tree}}")


def _identity(repo: git.Repo) -> dict[str, str]:
    """The committer from git config or the environment, else speakap-sync's bot identity."""
    reader = repo.config_reader()
    name = os.environ.get("GIT_AUTHOR_NAME") or reader.get_value("user", "name", "") or _AUTHOR[0]
    email = (
        os.environ.get("GIT_AUTHOR_EMAIL") or reader.get_value("user", "email", "") or _AUTHOR[1]
    )
    return {
        "GIT_AUTHOR_NAME": str(name),
        "GIT_AUTHOR_EMAIL": str(email),
        "GIT_COMMITTER_NAME": str(name),
        "GIT_COMMITTER_EMAIL": str(email),
    }


def _relative(repo: git.Repo, path: Path) -> str:
    root = Path(repo.working_tree_dir or ".").resolve()
    target = path.resolve()
    if not target.is_relative_to(root):
        raise GitOpsError(f"{path} is outside the repository {root}", file=path)
    return target.relative_to(root).as_posix() or "."


def _git(repo: git.Repo, *args: str, env: Mapping[str, str] | None = None) -> str:
    try:
        out: str = repo.git.execute(
            ["git", *args], env=dict(env) if env else None, strip_newline_in_stdout=True
        )
    except git.GitCommandError as err:
        detail = _CREDENTIALS.sub(r"\1***@", str(err.stderr or err).strip())
        raise GitOpsError(f"git {args[0]} failed: {detail}") from None
    return out


def current_branch(repo_dir: Path, default: str = "main") -> str:
    repo = open_repo(repo_dir)
    try:
        return repo.active_branch.name
    except TypeError:  # detached HEAD, as in a CI checkout of a commit
        return default
