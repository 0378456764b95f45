"""Only the shards (users/*.yaml) belong to the render: any other file in users/ (a
`.gitkeep` keeping the empty folder in git, a README for the HR team) is kept as it was, and a
`.gitkeep` does not send a large render to the slow serial path."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.data import sample_path
from reconciler.render import parallel as render_parallel
from reconciler.render.run import render_to_disk
from tests.render.conftest import DAY1

EXTRAS = {".gitkeep": b"", "README.md": b"Rendered by speakap-sync: do not edit.\n"}


@pytest.mark.parametrize("workers", [1, 2])
def test_render_keeps_files_in_users_that_are_not_shards(state_dir: Path, workers: int) -> None:
    users = state_dir / "users"
    users.mkdir()
    for name, data in EXTRAS.items():
        (users / name).write_bytes(data)
    render_to_disk(sample_path("hr-export-day1.csv"), state_dir, DAY1, workers=workers)
    assert {name: (users / name).read_bytes() for name in EXTRAS} == EXTRAS
    assert len(list(users.glob("*.yaml"))) == 16
    # and again over a state that already has shards
    render_to_disk(sample_path("hr-export-day1.csv"), state_dir, DAY1, workers=workers)
    assert {name: (users / name).read_bytes() for name in EXTRAS} == EXTRAS


def test_a_gitkeep_does_not_force_the_serial_render(state_dir: Path) -> None:
    users = state_dir / "users"
    users.mkdir()
    (users / ".gitkeep").write_bytes(b"")
    (users / "0.yaml").write_text("users: []\n")
    assert render_parallel.possible(state_dir, 16)
    (users / "all.yaml").write_text("users: []\n")  # a shard of another count still falls back
    assert not render_parallel.possible(state_dir, 16)
