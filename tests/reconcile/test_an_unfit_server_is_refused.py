"""Against a SCIM server that lacks the Speakap extensions (scim2-server with its default RFC
7643 schemas only), ``check`` exits 1 naming the missing extension attributes, ``plan``
exits 1 without writing a plan, ``apply --auto-approve`` fails, and the server still holds no
user: nothing is computed or written against an unfit server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reconcile.conftest import person
from tests.reconcile.world import World
from tests.scim2_peer import scim2_server

TOKEN = "unfit-server-token"
STAFF = [person(f"E{i:02}") for i in range(1, 6)]


@pytest.fixture
def unfit_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    with scim2_server(TOKEN, extensions=False) as root:
        url = f"{root}/t{uuid.uuid4().hex[:12]}/v2"
        monkeypatch.delenv("SPEAKAP_TOKEN_FILE", raising=False)
        monkeypatch.setenv("SPEAKAP_URL", url)
        monkeypatch.setenv("SPEAKAP_TOKEN", TOKEN)
        world = World(tmp_path, url, TOKEN)
        yield world
        world.client.close()


def test_check_plan_and_apply_all_refuse_and_nothing_is_written(
    unfit_world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    world = unfit_world
    world.commit(STAFF)

    assert world.cli("check", "--state-dir", str(world.state)) == 1
    out = capsys.readouterr().out
    assert "extension urn:speakap:params:scim:bag is not declared for /Users" in out
    assert "inviteChannel, login, managedBy" in out
    assert "kind, parent, visibility" in out
    assert out.rstrip().endswith("not ready: 2 problem(s)")

    assert world.plan() == 1
    err = capsys.readouterr().err
    assert "is not ready for this dialect" in err and "speakap-sync check" in err
    assert not (world.out / "plan.json").exists()

    args = ["apply", "--auto-approve", "--state-dir", str(world.state), "--out", str(world.out)]
    assert world.cli(*args) == 1
    assert "not ready" in capsys.readouterr().err
    assert not (world.out / "journal").exists()

    assert world.client.list_all("/Users") == []
    assert world.client.list_all("/Groups") == []
