"""The desired state's git side: its commit id and the last-applied desired state.

Apply moves a ref (by default the tag ``speakap-sync/last-applied``) to the commit it applied;
plan reads the desired state as it was at that ref, for the three-way membership merge. Where
the repository has a remote ``origin``, the moved ref is pushed so CI runs see it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import git

from reconciler.desired.config import ORG_UNITS_FILE, RULES_FILE
from reconciler.errors import StateError
from reconciler.model import DesiredState

if TYPE_CHECKING:
    from reconciler.desired.state import StateTexts

LAST_APPLIED_REF = "speakap-sync/last-applied"


def _repo(path: Path) -> git.Repo | None:
    try:
        return git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None


def desired_commit(state_dir: Path) -> str | None:
    """The commit the desired state is at (HEAD), or None outside git or before a commit."""
    repo = _repo(state_dir)
    if repo is None:
        return None
    try:
        return str(repo.head.commit.hexsha)
    except ValueError:  # no commit yet
        return None


def is_dirty(state_dir: Path) -> bool:
    """True when the state folder has uncommitted changes (the plan is not of a commit)."""
    repo = _repo(state_dir)
    if repo is None or repo.working_tree_dir is None:
        return False
    rel = _relative(state_dir, repo)
    return bool(repo.git.status("--porcelain", "--", rel or "."))


def last_change(state_dir: Path) -> str | None:
    """The newest commit on HEAD's first-parent line that changed the state folder (a merge
    commit counts as one change), or None outside git or when no commit changed it."""
    repo = _repo(state_dir)
    if repo is None or repo.working_tree_dir is None:
        return None
    rel = _relative(state_dir, repo)
    try:
        sha = repo.git.log("-1", "--first-parent", "--format=%H", "--", rel or ".")
    except git.GitCommandError:  # no commit yet
        return None
    return str(sha).strip() or None


def read_last_applied(
    state_dir: Path, ref: str = LAST_APPLIED_REF, *, like: StateTexts | None = None
) -> DesiredState | None:
    """The desired state at ``ref``, or None when there is no repository or no such ref.

    ``like``: the working copy's state and texts. A file whose blob at ``ref`` is the working
    file is not read from git, and what is the same in both is not parsed again (see
    ``read_state_files``): after an apply, the two are one parse.
    """
    repo = _repo(state_dir)
    if repo is None:
        return None
    try:
        commit = repo.commit(f"refs/tags/{ref}")
    except (git.BadName, ValueError):
        return None
    rel = _relative(state_dir, repo)
    try:
        tree = commit.tree / rel if rel else commit.tree
    except KeyError:
        return None  # the state folder did not exist at that commit
    from reconciler.desired.state import is_state_file, read_state_files  # the state stage

    working = like.files if like is not None else {}
    files: dict[str, str] = {}
    for item in tree.traverse():
        if isinstance(item, git.Blob):
            name = str(item.path)[len(rel) + 1 :] if rel else str(item.path)
            if not is_state_file(name):
                continue
            text = working.get(name)
            if text is not None and item.hexsha == blob_id(text):
                files[name] = text  # the working file itself: no read, and parsed once
            else:
                files[name] = item.data_stream.read().decode("utf-8")

    state: DesiredState = read_state_files(files, f"{ref} ({commit.hexsha[:12]})", like=like)
    return state


def rules_changed(state_dir: Path, ref: str = LAST_APPLIED_REF) -> bool:
    """Whether rules.yaml or org-units.yaml differ from their text at ``ref``. False without a
    repository or a ``ref``: a first run owes its changes to the export."""
    repo = _repo(state_dir)
    if repo is None:
        return False
    try:
        commit = repo.commit(f"refs/tags/{ref}")
    except (git.BadName, ValueError):
        return False
    rel = _relative(state_dir, repo)
    for name in (RULES_FILE, ORG_UNITS_FILE):
        try:
            blob = commit.tree / (f"{rel}/{name}" if rel else name)
            then: bytes | None = blob.data_stream.read()
        except KeyError:
            then = None
        path = state_dir / name
        now = path.read_bytes() if path.is_file() else None
        if then != now:
            return True
    return False


def blob_id(text: str) -> str:
    """The id git gives a file holding ``text`` (UTF-8)."""
    data = text.encode("utf-8")
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def mark_applied(state_dir: Path, commit: str, ref: str = LAST_APPLIED_REF) -> bool:
    """Move ``ref`` to ``commit``; push it when a remote ``origin`` exists. True if pushed."""
    repo = _repo(state_dir)
    if repo is None:
        raise StateError("the desired state is not in a git repository", file=state_dir)
    repo.create_tag(ref, ref=commit, force=True, message=None)
    if "origin" not in [remote.name for remote in repo.remotes]:
        return False
    try:
        repo.git.push("--force", "origin", f"refs/tags/{ref}:refs/tags/{ref}")
    except git.GitCommandError as err:
        raise StateError(f"could not push {ref} to origin: {err.stderr.strip()}") from err
    return True


def _relative(state_dir: Path, repo: git.Repo) -> str:
    root = Path(str(repo.working_tree_dir)).resolve()
    rel = state_dir.resolve().relative_to(root).as_posix()
    return "" if rel == "." else rel
