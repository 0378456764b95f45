"""A workbook damaged after its header (a download cut short, a sheet truncated inside the
zip) is one error naming the file, never a parser traceback halfway through the render."""

from __future__ import annotations

import zipfile
from pathlib import Path

import openpyxl
import pytest

from reconciler.cli import run
from tests.render.conftest import employee
from tests.render.make_samples import HEADER


def _truncated_workbook(path: Path, rows: int, member: str, keep: float) -> Path:
    whole = path.with_name("whole.xlsx")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(HEADER))
    for n in range(rows):
        record = employee(f"{100 + n:06d}")
        sheet.append([record[h] for h in HEADER])
    book.save(whole)
    with zipfile.ZipFile(whole) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == member:
                data = data[: int(len(data) * keep)]  # the XML ends halfway
            target.writestr(item, data)
    return path


@pytest.mark.parametrize(
    ("member", "keep"),
    [
        ("xl/worksheets/sheet1.xml", 0.5),  # cut among the rows, after the header was read
        ("xl/worksheets/sheet1.xml", 0.02),  # cut before the header row
        ("xl/workbook.xml", 0.5),  # the workbook's own index is damaged
    ],
)
def test_a_workbook_cut_off_halfway_through_its_sheet_is_one_error_and_writes_nothing(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], member: str, keep: float
) -> None:
    export = _truncated_workbook(tmp_path / "hr.xlsx", 200, member, keep)
    code = run(["render", str(export), "--state-dir", str(state_dir), "--today", "2026-03-02"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith(f"error: {export}:") and "XLSX" in err
    assert "Traceback" not in err and len(err.splitlines()) == 1
    assert not (state_dir / "users").exists()
