"""plan and apply run every check validate runs: a hand-edited users/*.yaml that adds someone
to an undeclared (hand-made) group, or a misspelt speakap.yaml, is refused with exit 1 before
anything is planned or written, and the server is left as it was."""

from __future__ import annotations

import pytest

from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.world import World

STAFF = [person(f"E{i:02}") for i in range(1, 4)]


def hand_edit_membership(world: World, key: str) -> None:
    shard = world.state / "users" / "all.yaml"
    text = shard.read_text(encoding="utf-8")
    shard.write_text(text.replace('"sales", "store-01"]', f'"{key}", "sales", "store-01"]', 1))


def test_plan_refuses_a_membership_of_an_undeclared_unit(
    sim_world: tuple[World, SimulatorHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    world, _ = sim_world
    world.commit(STAFF)
    hand_edit_membership(world, "admins")
    assert world.plan() == 1
    err = capsys.readouterr().err
    assert "membership 'admins' is not a declared org unit" in err
    assert "employee E01" in err and len(err.strip().splitlines()) == 1
    assert not (world.out / "plan.json").exists()


def test_apply_refuses_it_too_and_changes_nothing(
    sim_world: tuple[World, SimulatorHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    world, sim = sim_world
    world.sync(STAFF)
    before = sim.network.dump(with_secrets=False)
    hand_edit_membership(world, "admins")
    args = ["apply", "--auto-approve", "--state-dir", str(world.state), "--out", str(world.out)]
    assert world.cli(*args) == 1
    assert "membership 'admins' is not a declared org unit" in capsys.readouterr().err
    assert sim.network.dump(with_secrets=False) == before


def test_plan_refuses_a_misspelt_speakap_yaml_at_the_misspelt_line(
    sim_world: tuple[World, SimulatorHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    world, _ = sim_world
    (world.state / "speakap.yaml").write_text(world.speakap_yaml + "dialect:\n  batch_sise: 50\n")
    world.commit(STAFF)
    assert world.plan() == 1
    err = capsys.readouterr().err
    line = world.speakap_yaml.count("\n") + 2
    assert f"speakap.yaml:{line}: unknown key 'batch_sise' (did you mean 'batch_size'?)" in err
