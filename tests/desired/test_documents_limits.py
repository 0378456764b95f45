"""Every YAML file is read within limits: no aliases, bounded depth, values and size. A small
hostile file is refused with its file and line, fast, never expanded or walked."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from reconciler.desired import documents
from reconciler.desired.config import load_config
from reconciler.desired.documents import (
    MAX_YAML_CHARS,
    MAX_YAML_DEPTH,
    MAX_YAML_NODES,
    parse_yaml,
)
from reconciler.desired.state import read_state
from reconciler.errors import ConfigError, StateError
from reconciler.render.run import render_to_disk
from tests.render.conftest import DAY1, employee
from tests.render.make_samples import to_csv

BOMB = "".join(
    f"  - name: r{i}\n    when: {{field: job_title, in: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]}}\n"
    for i in range(1, 10)
)


def refused(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_yaml(text, "f.yaml")
    return caught.value


def test_an_alias_bomb_in_rules_yaml_is_refused_at_its_first_alias(state_dir: Path) -> None:
    rules = state_dir / "rules.yaml"
    head = "rules:\n  - name: r0\n    when: {field: job_title, in: &a0 [lol, lol, lol]}\n"
    rules.write_text(head + BOMB, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert time.monotonic() - started < 2
    assert (caught.value.file, caught.value.line) == (str(rules), 5)
    assert caught.value.message == "YAML alias *a0 is not allowed here: write the value out"


def test_a_merge_key_is_an_alias_too(state_dir: Path) -> None:
    error = refused("base: &base {grace_days: 30}\npolicy:\n  <<: *base\n")
    assert (error.line, error.message.split(":")[0]) == (3, "YAML alias *base is not allowed here")


@pytest.mark.parametrize(
    "opening",
    ["[", "{a: ", "- "],
    ids=["flow sequences", "flow mappings", "block sequences"],
)
def test_nesting_deeper_than_the_limit_is_refused_with_its_line(opening: str) -> None:
    closing = {"[": "]", "{a: ": "}", "- ": ""}[opening]
    deep = "x: 1\ny:\n  " + opening * 10_000 + "1" + closing * 10_000 + "\n"
    error = refused(deep if opening != "- " else "x: 1\ny:\n" + "- " * 10_000 + "1\n")
    assert error.line == 3
    assert error.message == f"nested more than {MAX_YAML_DEPTH} levels deep"


def test_nesting_up_to_the_limit_is_read() -> None:
    depth = MAX_YAML_DEPTH - 1  # the top-level mapping is one level
    doc = parse_yaml("a: " + "[" * depth + "1" + "]" * depth + "\n", "f.yaml")
    for _ in range(depth + 1):
        doc = doc["a"] if isinstance(doc, dict) else doc[0]
    assert doc == 1


def test_more_values_than_the_limit_are_refused_at_the_line_reached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert MAX_YAML_NODES == 50_000
    monkeypatch.setattr(documents, "MAX_YAML_NODES", 1000)  # the same check, a faster test
    error = refused("a:\n" + "- 1\n" * 1000)
    assert error.message == "more than 1,000 YAML values in one file"
    assert error.line == 999  # the root, its key and the 998 items before it count too


def test_a_file_larger_than_the_limit_is_refused_unread() -> None:
    error = refused("a: " + "x" * MAX_YAML_CHARS + "\n")
    assert error.message.endswith(f"more than the limit of {MAX_YAML_CHARS:,} for a YAML file")


def test_the_shipped_configuration_is_far_within_the_limits(state_dir: Path) -> None:
    for path in state_dir.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        assert len(text) < MAX_YAML_CHARS // 50
        assert parse_yaml(text, str(path))
    assert load_config(state_dir).rules


def _rendered(state_dir: Path) -> Path:
    render_to_disk(_export(state_dir.parent / "export.csv"), state_dir, DAY1, workers=1)
    return sorted((state_dir / "users").glob("*.yaml"))[0]


def _export(path: Path) -> Path:
    path.write_bytes(to_csv([employee(f"000{n}") for n in range(100, 140)]))
    return path


def test_an_alias_in_a_users_shard_is_refused_with_file_and_line(state_dir: Path) -> None:
    shard = _rendered(state_dir)
    text = shard.read_text(encoding="utf-8")
    first = text.index("  memberships: [")
    text = text[:first] + "  memberships: &m [" + text[first + len("  memberships: [") :]
    second = text.index("  memberships: [")
    end = text.index("\n", second)
    shard.write_text(text[:second] + "  memberships: *m" + text[end:], encoding="utf-8")
    with pytest.raises(StateError) as caught:
        read_state(state_dir)
    assert caught.value.file == str(shard)
    assert caught.value.line == text[:second].count("\n") + 1
    assert caught.value.message.startswith("YAML alias *m is not allowed")


def test_deep_nesting_in_the_canonical_form_of_a_users_shard_is_refused(
    state_dir: Path,
) -> None:
    shard = _rendered(state_dir)
    text = shard.read_text(encoding="utf-8")
    at = text.index("  memberships: [") + len("  memberships: ")
    end = text.index("\n", at)
    deep = "[" * 10_000 + text[at:end] + "]" * 10_000
    shard.write_text(text[:at] + deep + text[end:], encoding="utf-8")
    with pytest.raises(StateError) as caught:  # not a RecursionError from the JSON fast path
        read_state(state_dir)
    assert caught.value.message == f"nested more than {MAX_YAML_DEPTH} levels deep"
    assert caught.value.line == text[:at].count("\n") + 1
