"""The render stage's commands: render, validate, schema, explain; bad input at the edge."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.data import SAMPLES, sample_path
from tests.render.conftest import REPO, employee
from tests.render.make_samples import to_csv

Snap = Callable[[Path], dict[str, bytes]]


def write_export(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_bytes(to_csv(rows))
    return path


def test_the_shipped_samples_are_package_data() -> None:
    for name in SAMPLES:
        assert sample_path(name).is_file()
    with pytest.raises(ValueError, match="no sample"):
        sample_path("payroll.csv")


def test_the_committed_demo_state_is_the_render_of_the_day1_sample(state_dir: Path) -> None:
    day1 = sample_path("hr-export-day1.csv")
    assert run(["render", str(day1), "--state-dir", str(state_dir), "--today", "2026-03-02"]) == 0
    ours = {p.name: p.read_bytes() for p in (state_dir / "users").iterdir()}
    committed = {p.name: p.read_bytes() for p in (REPO / "desired-state" / "users").iterdir()}
    assert ours == committed


def test_render_day1_then_day2_writes_state_and_a_report(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--state-dir", str(state_dir), "--report", str(tmp_path / "report")]
    day1, day2 = (str(sample_path(n)) for n in SAMPLES)
    assert run(["render", day1, *args, "--today", "2026-03-02"]) == 0
    assert run(["render", day2, *args, "--today", "2026-03-03"]) == 0
    out = capsys.readouterr().out
    assert "rendered hr-export-day2.csv:" in out
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    counts = report["counts"]
    assert (counts["hires"], counts["leavers"], counts["updated"]) == (3, 3, 3)
    assert (counts["quarantined"], counts["prehires"], counts["merged"]) == (1, 1, 1)
    assert report["unmapped_codes"] == {"department_code": {"999": 1}}
    assert report["unused_rules"] == ["regional-managers"]
    assert {i["employee_id"] for i in report["issues"] if i["kind"] == "quarantined"} == {"001030"}
    csv_lines = (tmp_path / "report" / "report.csv").read_text().splitlines()
    assert csv_lines[0] == "kind,line,employee_id,name,reason"
    assert any(line.startswith("quarantined,32,001030,Eva Mulder,") for line in csv_lines)
    markdown = (tmp_path / "report" / "report.md").read_text()
    assert "## Quarantined" in markdown and "## HR codes that no rule maps" in markdown
    assert run(["validate", "--state-dir", str(state_dir)]) == 0


def test_a_missing_column_fails_cleanly_and_leaves_the_state_untouched(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], snapshot_dir: Snap
) -> None:
    assert (
        run(["render", str(sample_path("hr-export-day1.csv")), "--state-dir", str(state_dir)]) == 0
    )
    before = snapshot_dir(state_dir)
    rows = [employee("000100")]
    for row in rows:
        del row["Achternaam"]
    export = tmp_path / "bad.csv"
    export.write_text(";".join(rows[0]) + "\n" + ";".join(rows[0].values()) + "\n")
    capsys.readouterr()
    assert run(["render", str(export), "--state-dir", str(state_dir)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == (
        f"error: {export}:1: missing required column 'Achternaam' "
        "(source.yaml maps it to family_name) (field 'Achternaam')"
    )
    assert snapshot_dir(state_dir) == before


def test_an_undecodable_export_fails_cleanly(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], snapshot_dir: Snap
) -> None:
    before = snapshot_dir(state_dir)
    export = tmp_path / "bad.csv"
    export.write_bytes(to_csv([employee("000100")]) + b"000101;\x81\x8d;x\r\n")
    assert run(["render", str(export), "--state-dir", str(state_dir)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {export}:3: undecodable: cannot decode")
    assert "Traceback" not in err
    assert snapshot_dir(state_dir) == before


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("policy.yaml", "grace_days: 30", "grace_days: '30'", "'30' is not of type 'integer'"),
        ("policy.yaml", "duplicates:", "duplicate:", "unknown key 'duplicate'"),
        ("rules.yaml", "[managers]", "[bosses]", "org unit 'bosses' is not declared"),
    ],
)
def test_a_broken_config_fails_with_file_and_line_and_leaves_the_state_untouched(
    state_dir: Path,
    capsys: pytest.CaptureFixture[str],
    snapshot_dir: Snap,
    file: str,
    old: str,
    new: str,
    message: str,
) -> None:
    day1 = str(sample_path("hr-export-day1.csv"))
    assert run(["render", day1, "--state-dir", str(state_dir)]) == 0
    path = state_dir / file
    path.write_text(path.read_text().replace(old, new, 1))
    before = snapshot_dir(state_dir)
    capsys.readouterr()
    assert run(["render", day1, "--state-dir", str(state_dir)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}:")
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert snapshot_dir(state_dir) == before


def test_a_bad_today_is_a_clear_error(state_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    day1 = str(sample_path("hr-export-day1.csv"))
    assert run(["render", day1, "--state-dir", str(state_dir), "--today", "03-03-2026"]) == 1
    assert "--today '03-03-2026' is not a date" in capsys.readouterr().err


def test_validate_reports_every_broken_reference(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "desired-state" / "users", state_dir / "users")
    assert run(["validate", "--state-dir", str(state_dir)]) == 0
    assert "ok: 317 people" in capsys.readouterr().out
    shard = state_dir / "users" / "0.yaml"
    text = shard.read_text()
    shard.write_text(text.replace('"store-staff"]', '"store-staff", "ghost-unit"]', 1))
    assert run(["validate", "--state-dir", str(state_dir)]) == 1
    err = capsys.readouterr().err
    assert "membership 'ghost-unit' is not a declared org unit" in err
    assert err.strip().splitlines()[-1].endswith("problem(s) in the desired state")


def test_schema_prints_one_or_all_schemas(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["schema", "policy"]) == 0
    assert json.loads(capsys.readouterr().out)["title"].startswith("speakap-sync network policy")
    assert run(["schema"]) == 0
    assert {"source", "org-units", "rules", "policy", "users"} <= set(
        json.loads(capsys.readouterr().out)
    )
    assert run(["schema", "nope"]) == 1


def test_explain_shows_the_person_and_the_rules_that_fired(
    state_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(REPO / "desired-state" / "users", state_dir / "users")
    assert run(["explain", "001003", "--state-dir", str(state_dir)]) == 0
    out = capsys.readouterr().out
    assert "store-s007 (business_unit 'Versmarkt Tilburg') [primary]" in out
    assert "store-s003 (business_unit 'Versmarkt Haarlem')" in out
    assert "business-unit-by-location (rules.yaml:7)" in out
    assert run(["explain", "999999", "--state-dir", str(state_dir)]) == 1
    err = capsys.readouterr().err
    assert "not in the desired state;" in err and err.rstrip().endswith("(employee 999999)")


def test_an_xlsx_export_renders_like_the_csv(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import openpyxl

    row = employee("000100")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(row))
    values: list[object] = list(row.values())
    values[0] = 100.0  # Excel made the id a number
    values[10] = 43831  # and the start date a serial day (2020-01-01)
    sheet.append(values)
    export = tmp_path / "export.xlsx"
    book.save(export)
    assert run(["render", str(export), "--state-dir", str(state_dir), "--today", "2026-03-02"]) == 0
    assert run(["explain", "100", "--state-dir", str(state_dir)]) == 0
    assert "start_date: 2020-01-01" in capsys.readouterr().out


def test_a_json_export_under_a_key_renders(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    export = tmp_path / "export.json"
    export.write_text(json.dumps({"employees": [employee("000100"), employee("000101")]}))
    assert run(["render", str(export), "--state-dir", str(state_dir), "--today", "2026-03-02"]) == 0
    assert "2 hires" in capsys.readouterr().out


def test_render_lists_the_first_problem_rows_and_says_where_the_rest_are(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [employee(f"{n:06}", department="999") for n in range(100, 112)]
    export = write_export(tmp_path / "bad.csv", rows)
    report = tmp_path / "report"
    args = ["--state-dir", str(state_dir), "--today", "2026-03-03"]
    assert run(["render", str(export), *args, "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert out.count("  rejected line ") == 10
    assert "  rejected line 2, employee 000100: unknown department_code '999'" in out
    assert out.endswith(f"  … and 2 more: every one is in {report / 'report.md'} and report.csv\n")
    day2 = str(sample_path("hr-export-day2.csv"))
    assert run(["render", day2, *args]) == 0
    out = capsys.readouterr().out
    assert (
        "  rejected line 42, employee 001040: unknown department_code '999': no department has "
        "this HR code\n"
    ) in out
    assert out.endswith("  render with --report DIR for report.md and report.csv, with names\n")
