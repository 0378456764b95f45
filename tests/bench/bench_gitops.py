"""Benchmark: the GitOps plumbing at network scale.

1. ``open-pr``'s commit of a 300,000-user desired state (4,096 shard files, ~60 MB) onto a
   bare origin, then of a day's change (1% of the shards), with git's peak memory;
2. the sticky plan comment on a pull request that has 3,000 comments (30 pages of 100).

    python -m tests.bench gitops
"""

from __future__ import annotations

import resource
import subprocess
import tempfile
import time
import tracemalloc
from pathlib import Path

from reconciler.gitops import branch as gitops
from reconciler.gitops.github import GitHubClient, GitHubContext
from tests.gitops.fake_github import run_fake_github

USERS = 300_000
SHARDS = 4_096


def _shard_text(shard: int, day: int) -> str:
    rows = []
    for i in range(shard, USERS, SHARDS):
        title = "Teamleider" if day and i % 97 == 0 else "Verkoopmedewerker"
        store = f"store-{i % 500:03}"
        rows.append(
            f"- employee_id: '{i:07}'\n  given_name: Name{i}\n  family_name: Family{i}\n"
            f"  email: person{i}@example.test\n  job_title: {title}\n"
            f"  business_unit: {store}\n  memberships: [dept-sales, {store}]\n"
        )
    return "users:\n" + "".join(rows)


def _write_state(state: Path, shards: range, day: int) -> None:
    users = state / "users"
    users.mkdir(parents=True, exist_ok=True)
    for shard in shards:
        (users / f"{shard:03x}.yaml").write_text(_shard_text(shard, day), encoding="utf-8")


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def bench_commit(tmp: Path) -> None:
    origin, repo = tmp / "origin.git", tmp / "repo"
    _git(tmp, "init", "-q", "--bare", "--initial-branch=main", str(origin))
    _git(tmp, "init", "-q", "--initial-branch=main", str(repo))
    for key, value in (("user.name", "bench"), ("user.email", "bench@example.test")):
        _git(repo, "config", key, value)
    (repo / "desired-state").mkdir()
    (repo / "desired-state" / "policy.yaml").write_text("grace_days: 30\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "config")
    _git(repo, "remote", "add", "origin", str(origin))
    _git(repo, "push", "-q", "origin", "main")
    state = repo / "desired-state"

    _write_state(state, range(SHARDS), day=0)
    size = sum(p.stat().st_size for p in (state / "users").iterdir())
    started = time.perf_counter()
    first = gitops.commit_render(repo, state, "render day 0")
    day0 = time.perf_counter() - started
    assert first is not None and first.pushed
    _git(repo, "checkout", "-q", "-f", gitops.DEFAULT_BRANCH)

    _write_state(state, range(0, SHARDS, 100), day=1)  # a day's change: 1% of the shards
    started = time.perf_counter()
    second = gitops.commit_render(repo, state, "render day 1")
    day1 = time.perf_counter() - started
    assert second is not None
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"open-pr commit+push: {USERS:,} users in {SHARDS:,} files ({size / 1e6:.0f} MB): "
        f"{day0:.1f} s; a day's change ({len(second.changed)} files): {day1:.2f} s; "
        f"git peak RSS {child_peak:.0f} MB"
    )


def bench_comment() -> None:
    with run_fake_github() as github:
        for i in range(3_000):
            github.add_comment(1, f"review remark {i}")
        tracemalloc.start()
        started = time.perf_counter()
        with GitHubClient(GitHubContext.from_env(github.env())) as client:
            client.upsert_sticky_comment(1, "plan v1")
            client.upsert_sticky_comment(1, "plan v2")
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
    print(
        f"sticky comment on a PR with 3,000 comments, created then edited: {elapsed:.2f} s, "
        f"{len(github.requests)} requests, peak {peak:.1f} MB (Python heap)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        bench_commit(Path(tmp))
    bench_comment()


if __name__ == "__main__":
    main()
