"""plan.json and plan.md: schema, round trip, masking, the comment-size cap."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from rich.console import Console

from reconciler.errors import ConfigError
from reconciler.plan import compute_plan
from reconciler.planfile import (
    COMMENT_LIMIT,
    mask_email,
    mask_phone,
    plan_to_json,
    print_plan,
    read_plan,
    render_markdown,
    validate_json,
    write_plan,
)
from tests.reconcile.conftest import desired, live, live_as_desired, person


def a_day_of_changes() -> object:
    before = desired(person("E1"), person("E2"), person("E3", status="suspended"))
    after = desired(
        person("E1", unit="store-02", phone="+31612345678"),
        person("E2", job_title="Manager"),
        person("E4", email="new.hire@example.com", invite_channel="email"),
    )
    return compute_plan(after, live_as_desired(before), before)


def test_plan_json_validates_and_round_trips(tmp_path: Path) -> None:
    plan = a_day_of_changes()
    json_path, md_path = write_plan(plan, tmp_path)  # type: ignore[arg-type]
    data = json.loads(json_path.read_text())
    assert validate_json(data) == []
    assert data["format_version"] == 1 and data["desired_commit"] is None
    assert data["counts"]["create_user"] == 1 and data["counts"]["delete_user"] == 1
    back = read_plan(json_path)
    assert back.ids() == plan.ids()  # type: ignore[attr-defined]
    assert plan_to_json(back) == data
    assert md_path.read_text().startswith("## speakap-sync plan")


def test_a_corrupted_plan_is_refused_naming_the_field(tmp_path: Path) -> None:
    plan = a_day_of_changes()
    data = plan_to_json(plan)  # type: ignore[arg-type]
    data["actions"][0]["kind"] = "drop_database"
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigError) as caught:
        read_plan(path)
    assert "actions/0/kind" in str(caught.value) and "plan.json" in str(caught.value)
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        read_plan(path)


def test_plan_json_never_holds_the_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEAKAP_TOKEN", "tok-secret-123")
    json_path, md_path = write_plan(a_day_of_changes(), tmp_path)  # type: ignore[arg-type]
    assert "tok-secret-123" not in json_path.read_text() + md_path.read_text()


def test_plan_md_has_summary_first_and_masks_pii_by_default() -> None:
    plan = a_day_of_changes()
    text = render_markdown(plan)  # type: ignore[arg-type]
    table = text.index("| joins | moves | leaves | updates | blocked |")
    assert table < text.index("<details>")
    assert "| 1 | 1 | 1 | 2 | no |" in text  # E4 joins, E1 moves, E3 leaves, E1+E2 updated
    assert "new.hire@example.com" not in text and "n***@example.com" in text
    assert "+31612345678" not in text
    shown = render_markdown(plan, show_pii=True)  # type: ignore[arg-type]
    assert "new.hire@example.com" in shown and "+31612345678" in shown
    assert "<summary><b>store-01</b>" in text


def test_masking_keeps_only_a_hint() -> None:
    assert mask_email("jan.jansen@example.com") == "j***@example.com"
    assert mask_phone("+31612345678") == "+31*******78"


def test_a_huge_plan_md_is_truncated_with_a_note() -> None:
    people = [person(f"E{i:06}", unit=f"store-{i % 300:03}") for i in range(6000)]
    plan = compute_plan(desired(*people), live([]), None)
    text = render_markdown(plan)
    assert len(text) <= COMMENT_LIMIT
    assert "The full plan is in the `plan.json` artifact" in text
    assert text.count("<details>") == text.count("</details>")


def test_blocked_plan_says_so_in_markdown_and_terminal() -> None:
    employed = desired(*(person(f"E{i}") for i in range(3)))
    plan = compute_plan(desired(), live_as_desired(employed), employed)
    text = render_markdown(plan)
    assert "| **yes** |" in text and "empty_desired" in text
    buffer = StringIO()
    print_plan(plan, Console(file=buffer, width=200))
    assert "blocked" in buffer.getvalue() and "delete_user:E0" in buffer.getvalue()
