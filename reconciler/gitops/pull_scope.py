"""Whether a pull request changes the desired state, so the plan check can pass at once on one
that does not, rather than be skipped (a skipped required check leaves the pull request
waiting for ever).

The pull request's base commit comes from the event payload (``GITHUB_EVENT_PATH``); the head
is the checked-out commit. When either cannot be told (no pull request event, a base missing
from a shallow clone), the answer is "changed": planning too often is safe, skipping is not.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import git


@dataclass(frozen=True, slots=True)
class Scope:
    changed: bool
    files: tuple[str, ...]  # the desired-state files the pull request changes (when known)
    reason: str  # one line for the log


def pull_request_scope(state_dir: Path, env: Mapping[str, str] | None = None) -> Scope:
    """Which files under ``state_dir`` the pull request of this job changes."""
    env = os.environ if env is None else env
    base = _base_sha(env)
    if base is None:
        return Scope(True, (), "not a pull request event: planning")
    try:
        repo = git.Repo(
            state_dir if state_dir.exists() else Path.cwd(), search_parent_directories=True
        )
        root = Path(repo.working_tree_dir or ".").resolve()
        relative = state_dir.resolve().relative_to(root).as_posix()
        names = repo.git.diff("--name-only", base, "HEAD", "--", relative or ".").splitlines()
    except (git.GitError, ValueError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return Scope(True, (), f"could not compare with the base commit ({first}): planning")
    files = tuple(sorted(n for n in names if n))
    if files:
        return Scope(True, files, f"{len(files)} file(s) of {relative} changed: planning")
    return Scope(False, (), f"{relative} is unchanged: nothing to plan")


def _base_sha(env: Mapping[str, str]) -> str | None:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
        sha = event["pull_request"]["base"]["sha"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return sha if isinstance(sha, str) and sha else None


def write_step_output(name: str, value: str, env: Mapping[str, str] | None = None) -> bool:
    """Append ``name=value`` to the step's ``GITHUB_OUTPUT`` file; False outside Actions."""
    env = os.environ if env is None else env
    target = env.get("GITHUB_OUTPUT")
    if not target:
        return False
    with open(target, "a", encoding="utf-8") as handle:
        handle.write(f"{name}={value}\n")
    return True
