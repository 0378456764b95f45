"""Fixtures: the fake GitHub API (and a CI job's environment pointed at it), and real git
repositories with a bare origin."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.desired.state import write_state
from reconciler.model import Person
from tests.gitops.fake_github import FakeGitHub, run_fake_github


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    with run_fake_github() as fake:
        yield fake


def enter_ci(
    github: FakeGitHub, monkeypatch: pytest.MonkeyPatch, pr: int | None = None
) -> FakeGitHub:
    """Set a CI job's environment to the fake GitHub (API URL, token, repository) and, given
    ``pr``, to that pull request; returns the fake."""
    for key, value in github.env(pr).items():
        monkeypatch.setenv(key, value)
    return github


@pytest.fixture
def ci_env(github: FakeGitHub, monkeypatch: pytest.MonkeyPatch) -> FakeGitHub:
    """The fake GitHub, with a CI job's environment pointed at it (no pull request)."""
    return enter_ci(github, monkeypatch)


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip()


@dataclass(frozen=True)
class Checkout:
    """A working clone of a desired-state repository and its bare origin."""

    root: Path
    origin: Path

    @property
    def state_dir(self) -> Path:
        return self.root / "desired-state"

    def git(self, *args: str) -> str:
        return git(self.root, *args)

    def head(self) -> str:
        return self.git("rev-parse", "HEAD")

    def commit_people(self, people: list[Person], subject: str, shards: int = 16) -> str:
        """Commit ``people`` as the whole of ``users/`` (in ``shards`` shards), as a render
        would; returns the new commit's id."""
        write_state(self.state_dir, people, shards)
        self.git("add", "--all")
        self.git("commit", "--quiet", "-m", subject)
        return self.head()

    def remote_sha(self, ref: str) -> str | None:
        out = git(self.origin, "for-each-ref", "--format=%(objectname)", ref)
        return out or None


def make_checkout(tmp_path: Path, files: dict[str, str]) -> Checkout:
    origin = tmp_path / "origin.git"
    root = tmp_path / "work"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    git(tmp_path, "init", "--quiet", "--initial-branch=main", str(root))
    git(root, "config", "user.name", "Test Admin")
    git(root, "config", "user.email", "admin@example.test")
    git(root, "remote", "add", "origin", str(origin))
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "-m", "initial desired state")
    git(root, "push", "--quiet", "origin", "main")
    return Checkout(root=root, origin=origin)


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    return make_checkout(
        tmp_path,
        {
            "desired-state/people.yaml": "people:\n- employee_id: '1'\n  given_name: Ann\n",
            "README.md": "our network\n",
        },
    )
