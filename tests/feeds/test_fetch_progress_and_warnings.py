"""`fetch` is not silent: the records read are reported page by page ("fetch records", the
total known at the end), and a 429 wait or a retry of the HR API prints a `warning:` line."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.feeds import fetch_feed
from tests.feeds.fake_hr import AFAS_TOKEN, run_fake_hr
from tests.feeds.test_fetch import sample_rows, state_with_feed


def afas_feed(url: str, size: int) -> str:
    return f"feed:\n  preset: afas\n  url: {url}\n  pagination:\n    size: {size}\n"


def test_the_records_are_reported_page_by_page_up_to_their_total(tmp_path: Path) -> None:
    rows = sample_rows()
    seen: list[tuple[str, int, int | None]] = []
    with run_fake_hr(rows) as hr:
        state = state_with_feed(tmp_path, afas_feed(hr.afas_url(), 100))
        env = {"AFAS_TOKEN": AFAS_TOKEN}
        fetch_feed(state, tmp_path / "export.json", env=env, progress=lambda *a: seen.append(a))
    pages = -(-len(rows) // 100)
    assert seen[0] == ("fetch records", 0, None)
    assert seen[-1] == ("fetch records", len(rows), len(rows))
    assert [done for _, done, total in seen if total is None] == [
        min(100 * n, len(rows)) for n in range(pages + 1)
    ]


def test_a_429_wait_of_the_hr_api_prints_a_warning_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with run_fake_hr(sample_rows()) as hr:
        state = state_with_feed(tmp_path, afas_feed(hr.afas_url(), 500))
        monkeypatch.setenv("AFAS_TOKEN", AFAS_TOKEN)
        hr.throttle_once = True
        export = tmp_path / "export.json"
        assert run(["fetch", "--state-dir", str(state), "--out", str(export)]) == 0
    err = capsys.readouterr().err
    expected = "warning: the HR feed, page 1: rate limited (429), waiting 1.0 s (attempt 1 of 6)"
    assert err.splitlines() == [expected]
    assert AFAS_TOKEN not in err
