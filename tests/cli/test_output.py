"""`--output text|json`, shared by apply, history and pii-audit: one check, before the command
reads anything, and one error line for any other value."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.cli.output import MAX_FAILURE_LINES, show_summary, wants_json
from reconciler.errors import InputError
from reconciler.model import ActionResult
from reconciler.reconcile.apply import ApplySummary
from reconciler.reconcile.run import ApplyOutcome
from tests.reconcile.conftest import a_day_of_changes


def test_json_and_text_are_the_two_outputs() -> None:
    assert wants_json("json") is True and wants_json("text") is False
    with pytest.raises(InputError, match="--output must be 'text' or 'json'"):
        wants_json("JSON")


@pytest.mark.parametrize(
    "command", [["history", "000100"], ["pii-audit", "000100"], ["apply", "--auto-approve"]]
)
def test_an_unknown_output_is_one_error_line_before_anything_is_read(
    command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-state"
    assert run([*command, "--state-dir", str(missing), "--output", "xml"]) == 1
    assert capsys.readouterr().err == (
        "error: --output must be 'text' or 'json' (field '--output')\n"
    )
    assert not missing.exists()


def failed_apply(tmp_path: Path, creates: int, memberships: int) -> ApplyOutcome:
    """An apply whose creates failed on a taken login, each account's membership with it."""
    taken = "POST /Users: HTTP 409 uniqueness: userName is already taken"
    results = [
        ActionResult(f"create_user:E{i}", False, taken, kind="create_user") for i in range(creates)
    ]
    results += [
        ActionResult(
            f"add_membership:E{i}:s1",
            False,
            "not attempted: creating or recovering the account failed",
            kind="add_membership",
        )
        for i in range(memberships)
    ]
    results += [ActionResult(f"suspend_user:D{i}", True, kind="suspend_user") for i in range(1500)]
    summary = ApplySummary("p1", tuple(results))
    reason = f"{creates + memberships} action(s) failed; the next apply retries them"
    return ApplyOutcome(
        a_day_of_changes(), summary, tmp_path / "summary.json", not_moved_reason=reason
    )


def test_many_failures_read_as_the_first_lines_then_counts_per_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    show_summary(failed_apply(tmp_path, 30, 90), as_json=False)
    out = capsys.readouterr().out
    assert out.startswith("applied: 1,500 done, 120 failed, 0 already done earlier\n")
    assert out.count("  failed ") == MAX_FAILURE_LINES
    assert f"  … and 100 more failed (each in {tmp_path / 'summary.json'}), by reason:\n" in out
    assert "    90 × not attempted: creating or recovering the account failed\n" in out
    assert "    10 × POST /Users: HTTP 409 uniqueness: userName is already taken\n" in out
    assert out.endswith(
        "last-applied ref not moved: 120 action(s) failed; the next apply retries them\n"
    )


def test_a_few_failures_are_each_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    show_summary(failed_apply(tmp_path, 2, 1), as_json=False)
    out = capsys.readouterr().out
    assert out.count("  failed ") == 3 and "by reason" not in out
