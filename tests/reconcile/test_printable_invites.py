"""Printable invites that work: the sheet carries the one-time code Speakap issued with the
account (never one made up here), the code opens the account once, and it is written nowhere
but the sheet; apply also leaves its summary in ``out/summary.json``."""

from __future__ import annotations

import json
import logging
import os
import stat
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.model import ActionResult
from reconciler.reconcile import invites
from reconciler.reconcile.invite_texts import texts_for
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import SCIM2_TOKEN, person
from tests.reconcile.sheets import parse_sheet, sheet_codes
from tests.reconcile.world import World

STAFF = [person(f"E{i:02}", unit="store-01" if i % 2 else "store-02") for i in range(1, 13)]
PRINTABLE = [
    person("P1", email=None, invite_channel="printable"),
    person("P2", unit="store-02", email=None, invite_channel="printable"),
]


def activate(sim: SimulatorHandle, login: str, code: str) -> int:
    response = httpx.post(
        sim.url.replace("/scim/v2", "/_sim/activate"),
        json={"login": login, "code": code},
        headers={"Authorization": f"Bearer {sim.token}"},
    )
    return response.status_code


def everything_written_but_sheets(out: Path) -> str:
    return "\n".join(
        p.read_text(errors="replace")
        for p in sorted(out.rglob("*"))
        if p.is_file() and "invites" not in p.relative_to(out).parts
    )


def test_a_printable_hire_activates_once_with_the_code_on_the_sheet(
    sim_world: tuple[World, SimulatorHandle],
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    world, sim = sim_world
    caplog.set_level(logging.DEBUG)
    world.commit([*STAFF, *PRINTABLE])
    assert world.plan() == 2
    planned = capsys.readouterr()
    assert world.apply("--output", "json") == 0
    captured = capsys.readouterr()
    codes = sheet_codes(world.out)
    assert set(codes) == {"P1", "P2"} and codes["P1"] != codes["P2"]
    for sheet in (world.out / "invites").glob("*.html"):
        assert stat.S_IMODE(sheet.stat().st_mode) == 0o600
    # The codes are Speakap's: each opens its own account once, and only once.
    assert activate(sim, "P2", codes["P1"]) == 403
    assert activate(sim, "P1", codes["P1"]) == 200
    assert activate(sim, "P1", codes["P1"]) == 410
    assert activate(sim, "P2", codes["P2"]) == 200
    # ... and they are on the sheets only: not in the journal, the summary, the plan files,
    # the terminal, the logs, nor anything Speakap serves back.
    elsewhere = [
        everything_written_but_sheets(world.out),
        planned.out + planned.err,
        captured.out,
        captured.err,
        caplog.text,
        json.dumps(world.client.list_all("/Users")),
    ]
    assert {"summary.json", "plan.json", "plan.md"} <= {p.name for p in world.out.rglob("*")}
    assert list((world.out / "journal").glob("*.jsonl"))
    for code in codes.values():
        for text in elsewhere:
            assert code not in text and code.replace("-", "") not in text
    summary = json.loads((world.out / "summary.json").read_text())
    assert summary == json.loads(captured.out)  # the file is what --output json prints
    assert summary["printable_invites"] == {"with_code": 2, "code_in_admin_console": 0}


def test_against_scim2_server_the_sheet_sends_people_to_the_admin_console(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    scim2_server_root: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """scim2-server issues no code: the sheet says where the code comes from, and prints none
    made up here (it could never work)."""
    url = f"{scim2_server_root}/t{uuid.uuid4().hex[:12]}/v2"
    monkeypatch.delenv("SPEAKAP_TOKEN_FILE", raising=False)
    monkeypatch.setenv("SPEAKAP_URL", url)
    monkeypatch.setenv("SPEAKAP_TOKEN", SCIM2_TOKEN)
    world = World(tmp_path, url, SCIM2_TOKEN, dialect="memberships_from: group_members")
    try:
        world.commit([*STAFF, PRINTABLE[0]])
        assert world.plan() == 2
        capsys.readouterr()
        assert world.apply() == 0
        out = capsys.readouterr().out
    finally:
        world.client.close()
    [card] = parse_sheet((world.out / "invites" / "invites-store-01.html").read_text()).cards
    assert "GivenP1" in card.name and card.login == "P1"
    assert "admin console" in card.text("console") and not card.code
    assert "printable invites: 1 person on 1 sheet in " in out
    assert "1 printable invite without a code from Speakap" in out
    summary = json.loads((world.out / "summary.json").read_text())
    assert summary["printable_invites"] == {"with_code": 0, "code_in_admin_console": 1}


def test_a_token_revoked_mid_apply_still_leaves_the_sheets_of_accounts_created(
    sim_world: tuple[World, SimulatorHandle],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The codes cannot be read back later, so a run stopped after its creates (here: the
    token is revoked before the membership phase) still writes the sheets."""
    world, sim = sim_world
    execute = ScimBackend.execute

    def revoking(self: ScimBackend, actions: Any, *args: Any) -> list[ActionResult]:
        if actions and actions[0].kind == "add_membership":
            sim.server.token = "revoked"
        return execute(self, actions, *args)

    monkeypatch.setattr(ScimBackend, "execute", revoking)
    world.commit([*STAFF, *PRINTABLE])
    assert world.plan() == 2
    capsys.readouterr()
    assert world.apply() == 1
    err = capsys.readouterr().err
    assert "printable invites:" in err
    codes = sheet_codes(world.out)
    assert set(codes) == {"P1", "P2"}
    sim.server.token = world.token
    assert activate(sim, "P1", codes["P1"]) == 200
    assert not (world.out / "summary.json").exists()  # the run did not finish


def test_a_second_run_never_overwrites_an_earlier_sheet(tmp_path: Path) -> None:
    first = invites.Invite("P1", "Piet Paper", "store-01", "P1", "AAAA-BBBB")
    second = invites.Invite("P9", "Pam Paper", "store-01", "P9", None)
    old_umask = os.umask(0)
    try:
        [one] = invites.write_invite_sheets(tmp_path, [first])
        [two] = invites.write_invite_sheets(tmp_path, [second])
    finally:
        os.umask(old_umask)
    assert (one.name, two.name) == ("invites-store-01.html", "invites-store-01-2.html")
    assert "AAAA-BBBB" in one.read_text() and "AAAA-BBBB" not in two.read_text()
    [card] = parse_sheet(two.read_text()).cards
    assert card.text("console") == texts_for("en").console_note and not card.code
    for path in (one, two):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "AAAA-BBBB" not in repr(first)
    assert "AAAA-BBBB" not in repr(
        ActionResult("create_user:P1", True, invite_code="AAAA-BBBB", kind="create_user")
    )


def test_a_code_is_escaped_on_the_sheet(tmp_path: Path) -> None:
    odd = invites.Invite("P1", "<Piet>", "store-01", "P1", "<b>AB&CD</b>")
    [sheet] = invites.write_invite_sheets(tmp_path, [odd])
    text = sheet.read_text()
    assert "&lt;b&gt;AB&amp;CD&lt;/b&gt;" in text and "<b>AB&CD" not in text
    [card] = parse_sheet(text).cards
    assert (card.name, card.code) == ("<Piet>", "<b>AB&CD</b>")
