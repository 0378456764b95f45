"""``speakap-sync init`` writes a desired-state repository that validates with no people,
whose modelines resolve to the schemas beside it, with hardened workflows, and never
overwrites a file unless told to."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML

from reconciler.cli import run
from reconciler.gitops.init import WORKFLOWS, init_repository

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.MULTILINE)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    target = tmp_path / "network"
    init_repository(target)
    return target


def test_the_new_repository_validates_with_no_people(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["validate", "--state-dir", str(repo / "desired-state")]) == 0
    assert "0 people" in capsys.readouterr().out
    assert not list((repo / "desired-state" / "users").glob("*.yaml"))


def test_every_modeline_resolves_to_a_schema_that_accepts_its_file(repo: Path) -> None:
    files = sorted((repo / "desired-state").glob("*.yaml"))
    assert len(files) == 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        (target,) = MODELINE.findall(text)
        schema_file = (path.parent / target).resolve()
        assert schema_file.is_file(), f"{path.name}: {target} does not resolve"
        schema = json.loads(schema_file.read_text(encoding="utf-8"))
        jsonschema.validate(YAML(typ="safe").load(text), schema)


def test_the_configuration_is_commented_for_the_person_adapting_it(repo: Path) -> None:
    for path in (repo / "desired-state").glob("*.yaml"):
        comments = [line for line in path.read_text().splitlines() if "#" in line]
        assert len(comments) >= 4, path.name


def test_the_workflows_are_this_projects_own(repo: Path) -> None:
    for name in WORKFLOWS:
        written = (repo / ".github" / "workflows" / name).read_text(encoding="utf-8")
        assert written == (ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8")


def test_the_workflows_pass_zizmor_and_actionlint(repo: Path) -> None:
    workflows = repo / ".github" / "workflows"
    zizmor = shutil.which("zizmor", path=str(BIN)) or shutil.which("zizmor")
    assert zizmor, "zizmor is a dev dependency: make install-dev"
    audit = [zizmor, "--offline", "--min-severity", "medium", str(workflows)]
    done = subprocess.run(audit, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    actionlint = shutil.which("actionlint", path=str(BIN)) or shutil.which("actionlint")
    if actionlint is None:
        print("actionlint not installed on this platform: only zizmor ran")
        return
    lint = [actionlint, "-no-color", *map(str, sorted(workflows.glob("*.yml")))]
    done = subprocess.run(lint, cwd=repo, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_gitignore_keeps_outputs_sheets_contacts_and_keys_out_of_git(repo: Path) -> None:
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True, timeout=60)
    ignored = [
        "out/plan.json",
        "out/invites/invites-store.html",
        "out/invites/invites-store.html.age",
        "desired-state/contacts.csv",
        "contacts/people.json",
        "owner.agekey",
    ]
    kept = ["desired-state/policy.yaml", "desired-state/users/0.yaml", "README.md"]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *ignored, *kept],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.split() == ignored


def test_init_refuses_to_overwrite_and_names_the_files(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = repo / "desired-state" / "policy.yaml"
    policy.write_text("grace_days: 5\n")
    assert run(["init", str(repo)]) == 1
    err = capsys.readouterr().err
    assert "would overwrite desired-state/source.yaml" in err and "--force" in err
    assert policy.read_text() == "grace_days: 5\n"


def test_force_overwrites_its_own_files_and_leaves_the_rest(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    policy = repo / "desired-state" / "policy.yaml"
    policy.write_text("grace_days: 5\n")
    mine = repo / "desired-state" / "users" / "0.yaml"
    mine.write_text("users: []\n")
    assert run(["init", str(repo), "--force"]) == 0
    assert "wrote desired-state/policy.yaml (overwritten)" in capsys.readouterr().out
    assert "grace_days: 30" in policy.read_text() and mine.read_text() == "users: []\n"


def test_init_into_a_file_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    assert run(["init", str(target)]) == 1
    assert capsys.readouterr().err.strip() == f"error: {target}: not a folder"
