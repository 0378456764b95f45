"""An employee id is printable text without path characters and, by default, without
whitespace; source.yaml's employee_id_pattern narrows it (ASCII digits only). A bad id rejects
a new row and quarantines a known person, never offboards them. A value longer than the field
limit is a row error in every format."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from reconciler.desired.config import load_config
from reconciler.errors import ConfigError
from reconciler.render.ids import id_problem
from reconciler.render.run import render_to_disk
from reconciler.render.sources.base import MAX_FIELD_CHARS
from tests.render.conftest import DAY1, Sync, employee


@pytest.mark.parametrize(
    ("employee_id", "reason"),
    [
        ("00 1001", "employee id '00 1001' holds a space"),
        ("0\u200b01001", "holds U+200B (ZERO WIDTH SPACE), which does not print"),
        ("001\u202e001", "holds U+202E (RIGHT-TO-LEFT OVERRIDE), which does not print"),
        ("../001", "holds the path character '/'"),
        ("a\\b", "holds the path character '\\\\'"),
        ("..", "reads as a path ('.' or '..')"),
        ("a..b", "reads as a path ('.' or '..')"),
    ],
)
def test_unusable_ids_are_refused_with_a_reason(employee_id: str, reason: str) -> None:
    problem = id_problem(employee_id)
    assert problem is not None and problem.endswith(reason)
    assert "\u200b" not in problem and "\u202e" not in problem  # the reason itself prints


@pytest.mark.parametrize("employee_id", ["001001", "E-1001", "Zoë.01", "١٠٠١", "a_b@c"])
def test_printable_ids_without_whitespace_are_fine_by_default(employee_id: str) -> None:
    assert id_problem(employee_id) is None


def test_a_pattern_matches_the_whole_id_and_its_digits_are_ascii() -> None:
    six = re.compile(r"\d{6}", re.ASCII)
    assert id_problem("001001", six) is None
    for other in ("1001", "0010011", "١٠٠١٠٠"):
        assert id_problem(other, six) == (
            f"employee id '{other}' does not match employee_id_pattern '\\\\d{{6}}' (source.yaml)"
        )
    assert id_problem("AB 1001", re.compile(r"[A-Z]{2} \d{4}", re.ASCII)) is None
    assert id_problem("../x", re.compile(r".*", re.ASCII)) is not None  # always refused


def test_the_pattern_comes_from_source_yaml_and_a_bad_one_names_its_line(
    state_dir: Path,
) -> None:
    source = state_dir / "source.yaml"
    text = source.read_text(encoding="utf-8")
    source.write_text(text + "employee_id_pattern: '\\d{6}'\n", encoding="utf-8")
    pattern = load_config(state_dir).source.employee_id_pattern
    assert pattern is not None and pattern.fullmatch("001001") and not pattern.match("١")
    source.write_text(text + "employee_id_pattern: '(\\d'\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert caught.value.line == len(text.splitlines()) + 1
    assert caught.value.field == "employee_id_pattern"
    assert caught.value.message.startswith("invalid regex: missing )")


def test_a_bad_id_rejects_a_hire_and_quarantines_a_known_person(sync: Sync) -> None:
    sync.render([employee("000100"), employee("000101")])
    report = sync.render([employee("000100"), employee("000101"), employee("../000102")], DAY1)
    assert report.hires == () and report.leavers == ()
    (rejected,) = report.issues_of("rejected")
    assert rejected.line == 4 and rejected.reason.endswith("holds the path character '/'")
    source = sync.state_dir / "source.yaml"
    source.write_text(
        source.read_text(encoding="utf-8") + "employee_id_pattern: 'E\\d+'\n", encoding="utf-8"
    )
    before = sync.person("000100")
    report = sync.render([employee("000100"), employee("000101")], DAY1)
    assert report.leavers == () and report.hires == ()
    assert {i.employee_id for i in report.issues_of("quarantined")} == {"000100", "000101"}
    assert sync.person("000100") == before


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_value_longer_than_the_field_limit_is_a_row_error_in_every_format(
    sync: Sync, tmp_path: Path, fmt: str
) -> None:
    rows = [employee("000100"), employee("000101", given_name="A" * (MAX_FIELD_CHARS + 1))]
    if fmt == "csv":
        path = sync.export(rows)
    else:
        path = tmp_path / "export.json"
        path.write_text(json.dumps(rows), encoding="utf-8")
        source = sync.state_dir / "source.yaml"
        source.write_text(source.read_text(encoding="utf-8") + "format: json\n")
    report = render_to_disk(path, sync.state_dir, DAY1, workers=1)
    assert report.hires == ("000100",)
    reasons = {i.reason for i in report.issues_of("rejected") if i.employee_id == "000101"}
    assert f"'Voornaam' holds {MAX_FIELD_CHARS + 1:,} characters, more than 4,096" in reasons
