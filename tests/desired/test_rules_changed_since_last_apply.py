"""Whether the rules or org units changed since the last apply (the cause ``rules`` rests on it)."""

from __future__ import annotations

from pathlib import Path

import git

from reconciler.desired import last_applied


def _commit(repo: git.Repo, state: Path, files: dict[str, str]) -> str:
    state.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (state / name).write_text(text)
    repo.index.add([str(state / name) for name in files])
    return str(repo.index.commit("state").hexsha)


def test_rules_changed_compares_rules_and_org_units_with_the_last_applied_tag(
    tmp_path: Path,
) -> None:
    repo = git.Repo.init(tmp_path / "repo")
    state = tmp_path / "repo" / "desired-state"
    first = _commit(repo, state, {"rules.yaml": "rules: []\n", "org-units.yaml": "units: []\n"})
    assert last_applied.rules_changed(state) is False  # never applied: a first run
    last_applied.mark_applied(state, first)
    assert last_applied.rules_changed(state) is False
    (state / "policy.yaml").write_text("grace_days: 10\n")
    assert last_applied.rules_changed(state) is False  # the policy is not the rules
    (state / "rules.yaml").write_text("rules: [{name: x}]\n")
    assert last_applied.rules_changed(state) is True
    (state / "rules.yaml").write_text("rules: []\n")
    (state / "org-units.yaml").unlink()
    assert last_applied.rules_changed(state) is True


def test_rules_changed_is_false_outside_git(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_text("rules: []\n")
    assert last_applied.rules_changed(tmp_path) is False
