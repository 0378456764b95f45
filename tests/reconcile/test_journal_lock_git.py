"""The apply journal, the lock file and the last-applied ref in a real git repository."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import git
import pytest

from reconciler.desired import last_applied as gitstate
from reconciler.errors import BlockedError
from reconciler.model import ActionResult
from reconciler.reconcile.journal import Journal, done_actions, plan_id, read_journal
from reconciler.reconcile.lock import ApplyLock

ORG_UNITS = """\
org_units:
  - key: store-01
    kind: business_unit
    name: Store 01
"""


def users_yaml(*eids: str) -> str:
    lines = ["users:"]
    for eid in eids:
        lines += [
            f'- employee_id: "{eid}"',
            f'  given_name: "Given{eid}"',
            f'  family_name: "Family{eid}"',
            '  business_unit: "store-01"',
            "  memberships:",
            '  - "store-01"',
        ]
    return "\n".join(lines) + "\n"


def test_journal_records_results_and_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "journal" / "p.jsonl"
    with Journal(path) as journal:
        journal.record("begin", plan="p")
        journal.result(ActionResult("create_user:E1", ok=True, created_id="u1", kind="create_user"))
        journal.result(ActionResult("create_user:E2", ok=False, detail="409", kind="create_user"))
    with path.open("a") as handle:
        handle.write('{"event": "done", "action": "create_user:E3"')  # killed mid-write
    assert done_actions(path) == {"create_user:E1"}
    assert [r["event"] for r in read_journal(path)] == ["begin", "done", "failed"]
    assert done_actions(tmp_path / "missing.jsonl") == set()


def test_plan_id_depends_on_the_actions_not_their_order() -> None:
    assert plan_id(["a", "b"], None) == plan_id(["b", "a"], None)
    assert plan_id(["a", "b"], None) != plan_id(["a"], None)
    assert plan_id(["a"], "0" * 40) != plan_id(["a"], None)


def test_second_apply_is_refused_while_the_first_holds_the_lock(tmp_path: Path) -> None:
    lock_path = tmp_path / "apply.lock"
    with ApplyLock(lock_path), pytest.raises(BlockedError, match="another apply is running"):
        ApplyLock(lock_path).acquire()
    with ApplyLock(lock_path):  # released: free again
        pass


def test_lock_of_a_killed_process_is_released(tmp_path: Path) -> None:
    lock_path = tmp_path / "apply.lock"
    code = (
        "import sys, time; from pathlib import Path\n"
        "from reconciler.reconcile.lock import ApplyLock\n"
        f"with ApplyLock(Path({str(lock_path)!r})):\n"
        "    print('held', flush=True); time.sleep(60)"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    with pytest.raises(BlockedError):
        ApplyLock(lock_path).acquire()
    child.kill()
    child.wait()
    with ApplyLock(lock_path):
        pass


def _commit(repo: git.Repo, state: Path, users: str, message: str) -> str:
    (state / "users").mkdir(parents=True, exist_ok=True)
    (state / "org-units.yaml").write_text(ORG_UNITS)
    (state / "users" / "all.yaml").write_text(users)
    repo.index.add([str(state / "org-units.yaml"), str(state / "users" / "all.yaml")])
    return str(repo.index.commit(message).hexsha)


def test_last_applied_is_read_from_the_tag_and_moved_after_apply(tmp_path: Path) -> None:
    repo = git.Repo.init(tmp_path / "repo")
    state = tmp_path / "repo" / "desired-state"
    first = _commit(repo, state, users_yaml("E1", "E2"), "day 0")
    assert gitstate.read_last_applied(state) is None  # never applied: conservative plan
    assert gitstate.desired_commit(state) == first
    assert gitstate.mark_applied(state, first) is False  # no remote: nothing pushed
    second = _commit(repo, state, users_yaml("E1"), "E2 leaves")
    last = gitstate.read_last_applied(state)
    assert last is not None and [p.employee_id for p in last.people] == ["E1", "E2"]
    assert gitstate.desired_commit(state) == second
    assert not gitstate.is_dirty(state)
    (state / "users" / "all.yaml").write_text(users_yaml("E1", "E9"))
    assert gitstate.is_dirty(state)


def test_moved_ref_is_pushed_to_origin(tmp_path: Path) -> None:
    origin = git.Repo.init(tmp_path / "origin.git", bare=True)
    repo = git.Repo.init(tmp_path / "repo")
    repo.create_remote("origin", str(tmp_path / "origin.git"))
    state = tmp_path / "repo" / "desired-state"
    sha = _commit(repo, state, users_yaml("E1"), "day 0")
    assert gitstate.mark_applied(state, sha) is True
    assert origin.commit(f"refs/tags/{gitstate.LAST_APPLIED_REF}").hexsha == sha


def test_outside_git_there_is_no_commit_and_no_last_applied(tmp_path: Path) -> None:
    assert gitstate.desired_commit(tmp_path) is None
    assert gitstate.read_last_applied(tmp_path) is None


def test_the_lock_is_per_network_not_per_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconciler.reconcile.lock import network_lock_path

    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    one = network_lock_path("https://acme.speakap.io/scim/v2")
    assert one == network_lock_path("https://acme.speakap.io/scim/v2/")
    assert one != network_lock_path("https://other.speakap.io/scim/v2")
    assert one.parent == tmp_path / "speakap-sync"
    with ApplyLock(one), pytest.raises(BlockedError, match="another apply is running"):
        ApplyLock(network_lock_path("https://acme.speakap.io/scim/v2/")).acquire()
