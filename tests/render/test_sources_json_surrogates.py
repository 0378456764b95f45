"""A JSON export whose text is cut inside a surrogate pair (a JavaScript export that truncated
a name in the middle of an emoji writes "\\ud83d" alone) is bad data on that record, never a
UnicodeEncodeError traceback when the users shards are written."""

from __future__ import annotations

import json
from pathlib import Path

from reconciler.render.run import render_to_disk
from tests.render.conftest import DAY1, Sync, employee


def _json_export(path: Path, records: list[dict[str, str]]) -> Path:
    # json.dumps writes the lone surrogate as the escape \ud83d, exactly as JSON.stringify does.
    path.write_text(json.dumps(records), encoding="utf-8")
    return path


def test_a_new_hire_whose_name_was_cut_inside_an_emoji_is_rejected_by_record(
    sync: Sync, tmp_path: Path
) -> None:
    records = [employee("000100"), employee("000101", given_name="Sam \ud83d")]
    report = render_to_disk(_json_export(tmp_path / "hr.json", records), sync.state_dir, DAY1)
    assert report.hires == ("000100",)
    rejected = report.issues_of("rejected")
    assert {(i.line, i.employee_id) for i in rejected} == {(2, "000101")}
    assert any("undecodable" in i.reason and "Voornaam" in i.reason for i in rejected)
    assert sync.person("000101") is None
    for shard in (sync.state_dir / "users").glob("*.yaml"):
        shard.read_text(encoding="utf-8")  # every shard is valid UTF-8


def test_a_known_person_whose_name_arrives_cut_is_quarantined_unchanged(
    sync: Sync, tmp_path: Path
) -> None:
    sync.render([employee("000100", given_name="Sam")])
    before = sync.person("000100")
    records = [employee("000100", given_name="Sam \ud83d")]
    report = render_to_disk(_json_export(tmp_path / "hr.json", records), sync.state_dir, DAY1)
    quarantined = report.issues_of("quarantined")
    assert {i.employee_id for i in quarantined} == {"000100"}
    assert any("undecodable" in i.reason for i in quarantined)
    assert sync.person("000100") == before
