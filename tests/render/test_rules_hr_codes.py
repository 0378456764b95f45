"""An HR code written unquoted in org-units.yaml keeps its leading zeros. YAML reads
``hr_codes: [0100]`` as the integer 100; the lookup still finds the unit for the export's
"0100", as written, so nobody in that department is rejected as an unmapped code."""

from __future__ import annotations

from pathlib import Path

from reconciler.desired.config import load_config
from tests.render.conftest import Sync, employee


def _codes(state_dir: Path, old: str, new: str) -> None:
    path = state_dir / "org-units.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_a_department_code_with_a_leading_zero_written_unquoted_maps_the_hire(
    sync: Sync,
) -> None:
    _codes(sync.state_dir, 'hr_codes: ["100"]', "hr_codes: [0100]")
    report = sync.render([employee("000100", department="0100")])
    person = sync.person("000100")
    assert report.issues_of("rejected") == () and report.unmapped_codes == {}
    assert person is not None and person.department == "dept-sales"


def test_unquoted_codes_without_leading_zeros_are_read_as_written(state_dir: Path) -> None:
    _codes(state_dir, 'hr_codes: ["100"]', "hr_codes: [100, 007, 0]")
    codes = {code for kind, code in load_config(state_dir).codes if kind == "department"}
    assert {"100", "007", "0"} <= codes
