"""Every file a user reads or writes has a JSON Schema, the schemas are themselves valid, and a
real sync report (the shipped day-1 and day-2 samples rendered) matches its schema."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from reconciler.cli import run
from reconciler.data import sample_path
from reconciler.desired.config import CONFIG_FILES
from reconciler.desired.documents import load_schema, schema_dir, schema_names, validator

REPO = Path(__file__).resolve().parents[2]
EXPECTED = {
    "apply-summary",
    "journal",
    "org-units",
    "plan",
    "policy",
    "report",
    "rules",
    "simulator-data",
    "source",
    "speakap",
    "users",
}
NEW = ("report", "apply-summary", "journal", "simulator-data")  # written with titles throughout


def _errors(name: str, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(name).iter_errors(document)
    ]


def _property_schemas(node: Any, where: str = "") -> Iterator[tuple[str, Any]]:
    """Every schema that describes a named property, anywhere in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "properties" and isinstance(value, dict):
                for name, sub in value.items():
                    yield f"{where}.{name}", sub
            yield from _property_schemas(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _property_schemas(value, f"{where}[{i}]")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_schema_is_a_valid_draft_2020_12_schema(name: str) -> None:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"]
    if name in NEW:
        assert schema["description"]


def test_the_schema_folder_holds_exactly_the_expected_schemas() -> None:
    assert set(schema_names()) == EXPECTED
    assert schema_dir() == REPO / "schemas"


@pytest.mark.parametrize("name", NEW)
def test_the_new_schemas_title_and_describe_every_property(name: str) -> None:
    missing = [
        where
        for where, sub in _property_schemas(load_schema(name))
        if not (sub.get("title") and sub.get("description"))
    ]
    assert missing == []


def test_schema_list_names_every_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema", "--list"]) == 0
    listed = set(capsys.readouterr().out.split())
    assert listed == EXPECTED


def test_schema_prints_one_schema_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema", "journal"]) == 0
    assert json.loads(capsys.readouterr().out) == load_schema("journal")


@pytest.fixture(scope="module")
def rendered_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """report.json of the shipped day-1 sample, then of day 2 (hires, leavers, a quarantine,
    a merge, an unmapped code) rendered on top of it."""
    root = tmp_path_factory.mktemp("render")
    state = root / "desired-state"
    state.mkdir()
    for name in CONFIG_FILES:
        if (REPO / "desired-state" / name).is_file():
            shutil.copyfile(REPO / "desired-state" / name, state / name)
    reports = {}
    for day, today in (("day1", "2026-03-02"), ("day2", "2026-03-03")):
        out = root / f"report-{day}"
        export = sample_path(f"hr-export-{day}.csv")
        args = ["render", str(export), "--state-dir", str(state), "--today", today]
        assert run([*args, "--report", str(out)]) == 0
        reports[day] = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return reports


def test_the_report_of_the_day1_sample_matches_its_schema(
    rendered_reports: dict[str, dict[str, Any]],
) -> None:
    report = rendered_reports["day1"]
    assert _errors("report", report) == []
    assert report["counts"]["hires"] == report["counts"]["people"] > 0


def test_the_report_of_day2_with_issues_merges_and_unmapped_codes_matches_its_schema(
    rendered_reports: dict[str, dict[str, Any]],
) -> None:
    report = rendered_reports["day2"]
    assert report["issues"] and report["merges"] and report["unmapped_codes"]
    assert _errors("report", report) == []


def test_the_report_schema_refuses_what_render_never_writes(
    rendered_reports: dict[str, dict[str, Any]],
) -> None:
    report = rendered_reports["day2"]
    assert _errors("report", {**report, "extra": 1}) == [
        ": Additional properties are not allowed ('extra' was unexpected)"
    ]
    broken = {**report, "counts": {**report["counts"], "hires": -1}}
    assert _errors("report", broken) == ["counts/hires: -1 is less than the minimum of 0"]
    issue = {**report["issues"][0], "kind": "error"}
    assert len(_errors("report", {**report, "issues": [issue]})) == 1
