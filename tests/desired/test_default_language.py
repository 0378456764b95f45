"""The network's default language is source.yaml's ``default_language``: what render gives a
row without one, and what invite sheets speak when a person's language has no texts."""

from __future__ import annotations

import shutil
from pathlib import Path

from reconciler.desired.config import default_language

REPO_STATE = Path(__file__).parents[2] / "desired-state"


def test_the_default_language_comes_from_source_yaml(tmp_path: Path) -> None:
    shutil.copy(REPO_STATE / "source.yaml", tmp_path / "source.yaml")
    assert default_language(tmp_path) == "nl"
    text = (tmp_path / "source.yaml").read_text().replace("default_language: nl", "")
    (tmp_path / "source.yaml").write_text(text)
    assert default_language(tmp_path) is None


def test_a_state_folder_without_source_yaml_has_none(tmp_path: Path) -> None:
    assert default_language(tmp_path) is None
