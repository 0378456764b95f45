"""`speakap-sync demo` plays the loop in its own folder and says where everything is."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.desired.last_applied import LAST_APPLIED_REF
from tests.gitops.conftest import git


@dataclass(frozen=True)
class Played:
    caller: Path  # the folder the demo was started from
    work: Path
    code: int
    out: str


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Played]:
    """One demo run (about 5 s) shared by the tests below."""
    root = tmp_path_factory.mktemp("demo")
    caller, work = root / "caller", root / "demo"
    caller.mkdir()
    buffer = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(caller)
        mp.delenv("SPEAKAP_URL", raising=False)
        mp.delenv("SPEAKAP_TOKEN", raising=False)
        mp.setenv("COLUMNS", "250")  # paths on one line
        with redirect_stdout(buffer):
            code = run(["demo", "--workdir", str(work)])
    yield Played(caller, work, code, buffer.getvalue())


def test_the_demo_plays_two_days_and_leaves_the_callers_folder_alone(played: Played) -> None:
    work, out = played.work, played.out
    assert played.code == 0
    assert list(played.caller.iterdir()) == []
    assert "SPEAKAP_URL" not in os.environ and "SPEAKAP_TOKEN" not in os.environ
    day1 = json.loads((work / "day1" / "plan" / "plan.json").read_text())
    day2 = json.loads((work / "day2" / "plan" / "plan.json").read_text())
    assert {a["kind"] for a in day1["actions"]} >= {"create_org_unit", "create_user"}
    assert {"create_user", "suspend_user", "update_user"} <= {a["kind"] for a in day2["actions"]}
    assert "kept (not the sync's)" in out and "put back (drift)" in out
    assert "recovered, the same account (drift)" in out  # the account deleted by hand
    assert "Corrected in Speakap (changed by hand): 1 membership removed by hand → restored" in out
    day2_md = (work / "day2" / "plan" / "plan.md").read_text()
    assert "1 account deleted by hand → recovered (no new invite)" in day2_md
    # day 1 was applied: the tag moved on the origin, invite sheets outside git
    main = git(work / "origin.git", "rev-parse", "main")
    assert git(work / "origin.git", "rev-parse", f"refs/tags/{LAST_APPLIED_REF}") == main
    sheets = list((work / "apply" / "invites").glob("*.html"))
    assert f"{len(sheets)} printable sheets in {work / 'apply' / 'invites'}" in out
    assert sheets and "invites" not in git(work / "people", "ls-files")
    assert str(work / "day2" / "report" / "report.md") in out


def test_the_demo_shows_a_short_reviewers_excerpt_on_day_one_and_names_on_day_two(
    played: Played,
) -> None:
    work, out = played.work, played.out
    day1 = out[out.index("Day 1: 2026-03-02") : out.index("Merge and apply")]
    assert len(day1.splitlines()) < 30, day1  # an excerpt, not 1,395 actions
    assert "1 pre-hire;" in day1 and "2 warnings\n" in day1  # singular where the count is 1
    assert "1,395 actions: 34 create_org_unit · 317 create_user · 1,044 add_membership" in day1
    assert "… 11 more business units in plan.md" in day1
    assert f"full plan {work / 'day1' / 'plan' / 'plan.md'} (the PR comment" in day1
    assert "create_user:" not in out  # no raw action ids
    day2 = out[out.index("Day 2: 2026-03-03") : out.index("Where things are")]
    assert "3 hires," in day2 and "3 leavers," in day2
    # leavers are named from the desired state (the plan itself only names joiners)
    assert "leaving Sem Mulder (001100): suspend" in day2
    assert "Jesse de Haan (001012) +store-s009 −store-s012" in day2
    # business units that exist since day 1 read with their name too
    assert "head-office (Hoofdkantoor Utrecht) — 3 leaving, 1 updated" in day2
