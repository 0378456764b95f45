"""`speakap-sync demo` plays the loop in its own folder and says where everything is."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.gitstate import LAST_APPLIED_REF
from tests.gitops.conftest import git


def test_the_demo_plays_two_days_and_leaves_the_callers_folder_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    caller = tmp_path / "caller"
    caller.mkdir()
    monkeypatch.chdir(caller)
    monkeypatch.delenv("SPEAKAP_URL", raising=False)
    monkeypatch.delenv("SPEAKAP_TOKEN", raising=False)
    monkeypatch.setenv("COLUMNS", "250")  # paths on one line
    work = tmp_path / "demo"

    assert run(["demo", "--workdir", str(work)]) == 0

    out = capsys.readouterr().out
    assert list(caller.iterdir()) == []
    assert "SPEAKAP_URL" not in os.environ and "SPEAKAP_TOKEN" not in os.environ
    day1 = json.loads((work / "day1" / "plan" / "plan.json").read_text())
    day2 = json.loads((work / "day2" / "plan" / "plan.json").read_text())
    assert {a["kind"] for a in day1["actions"]} >= {"create_org_unit", "create_user"}
    assert {"create_user", "suspend_user", "update_user"} <= {a["kind"] for a in day2["actions"]}
    assert "kept (not the sync's)" in out and "put back (the sync manages it)" in out
    # day 1 was applied: the tag moved on the origin, invite sheets outside git
    main = git(work / "origin.git", "rev-parse", "main")
    assert git(work / "origin.git", "rev-parse", f"refs/tags/{LAST_APPLIED_REF}") == main
    sheets = list((work / "apply" / "invites").glob("*.html"))
    assert f"{len(sheets)} printable sheets in {work / 'apply' / 'invites'}" in out
    assert sheets and "invites" not in git(work / "people", "ls-files")
    assert str(work / "day2" / "report" / "report.md") in out
