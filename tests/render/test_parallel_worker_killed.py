"""A render worker that dies without answering (killed by the kernel's OOM killer, a signal)
is one error saying so, never an EOFError traceback; nothing is written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from reconciler.data import sample_path
from reconciler.errors import SyncError
from reconciler.render import parallel as render_parallel
from reconciler.render.run import render_to_disk
from tests.render.conftest import DAY1, REPO


def test_a_worker_killed_mid_render_is_one_error_and_the_state_is_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state = tmp_path / "desired-state"
    shutil.copytree(REPO / "desired-state", state, ignore=shutil.ignore_patterns("users"))

    def killed(*args: Any, **kwargs: Any) -> Any:
        os._exit(137)  # what the worker looks like to its parent after SIGKILL

    monkeypatch.setattr(render_parallel, "render_shards", killed)  # forked workers inherit it
    with pytest.raises(SyncError) as caught:
        render_to_disk(sample_path("hr-export-day1.csv"), state, DAY1, workers=2)
    assert "worker" in caught.value.message
    assert not (state / "users").exists()
    assert not list(state.glob(".users.new-*"))  # the staged shards are gone too
