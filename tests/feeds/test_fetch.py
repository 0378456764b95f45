"""`fetch`: page through an HR system's API (AFAS, Personio) into the export render reads."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.cli import run
from reconciler.errors import InputError
from reconciler.feeds import fetch_feed
from reconciler.feeds.client import FeedClient, flatten
from reconciler.feeds.config import parse_feed
from tests.feeds.fake_hr import AFAS_TOKEN, CLIENT_ID, CLIENT_SECRET, run_fake_hr

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "reconciler" / "data" / "hr-export-day1.csv"


def sample_rows() -> list[dict[str, Any]]:
    with SAMPLE.open(encoding="cp1252", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def state_with_feed(tmp_path: Path, feed: str, columns: str | None = None) -> Path:
    state = tmp_path / "desired-state"
    shutil.copytree(REPO / "desired-state", state, ignore=shutil.ignore_patterns("users"))
    source = (state / "source.yaml").read_text(encoding="utf-8")
    if columns is not None:
        head, _, rest = source.partition("columns:\n")
        tail = rest[rest.index("extra:") :]
        source = head + "columns:\n" + columns + tail
    (state / "source.yaml").write_text(source + feed, encoding="utf-8")
    return state


def users_text(state: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted((state / "users").glob("*"))}


def test_an_afas_getconnector_is_paged_with_skip_and_take_and_renders_like_the_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = sample_rows()
    with run_fake_hr(rows) as hr:
        feed = f"feed:\n  preset: afas\n  url: {hr.afas_url()}\n  pagination:\n    size: 100\n"
        state = state_with_feed(tmp_path, feed)
        monkeypatch.setenv("AFAS_TOKEN", AFAS_TOKEN)
        export = tmp_path / "export.json"
        assert run(["fetch", "--state-dir", str(state), "--out", str(export)]) == 0
    pages = -(-len(rows) // 100)
    assert f"{len(rows):,} record(s) in {pages} page(s)" in capsys.readouterr().out
    skips = [r for r in hr.requests if "skip=" in r]
    assert [int(r.split("skip=")[1].split("&")[0]) for r in skips] == [
        100 * i for i in range(pages)
    ]
    assert json.loads(export.read_text(encoding="utf-8")) == rows

    args = ["--today", "2026-03-02"]
    assert run(["render", str(export), "--state-dir", str(state), *args]) == 0
    from_feed = users_text(state)
    assert run(["render", str(SAMPLE), "--state-dir", str(state), *args]) == 0
    assert from_feed == users_text(state) and from_feed


PERSONIO_COLUMNS = """  employee_id: id
  given_name: first_name
  family_name: last_name
  email: email
  phone: phone
  job_title: employments.0.position.title
  language: language_code
  business_unit_code: employments.0.office.name
  department_code: employments.0.department.name
  start_date: employments.0.start_date
  end_date: employments.0.termination_date
"""


def personio_people() -> list[dict[str, Any]]:
    return [
        {
            "id": row["Personeelsnummer"],
            "first_name": row["Voornaam"],
            "last_name": " ".join(x for x in (row["Tussenvoegsel"], row["Achternaam"]) if x),
            "email": row["E-mailadres"] or None,
            "phone": row["Mobiel nummer"] or None,
            "language_code": row["Taal"],
            "BHV": row["BHV"],
            "employments": [
                {
                    "position": {"title": row["Functie"]},
                    "office": {"name": row["Vestiging"]},
                    "department": {"name": row["Afdeling"]},
                    "start_date": row["Datum in dienst"],
                    "termination_date": row["Datum uit dienst"] or None,
                }
            ],
        }
        for row in sample_rows()
    ]


def test_personio_pages_by_next_link_with_an_oauth2_token_and_renders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    people = personio_people()
    with run_fake_hr(people) as hr:
        feed = f"feed:\n  preset: personio\n  url: {hr.personio_url()}\n"
        feed += f"  auth:\n    token_url: {hr.url}/v2/auth/token\n"
        state = state_with_feed(tmp_path, feed, PERSONIO_COLUMNS)
        hr.throttle_once = True
        waits: list[float] = []
        env = {"PERSONIO_CLIENT_ID": CLIENT_ID, "PERSONIO_CLIENT_SECRET": CLIENT_SECRET}
        export = tmp_path / "export.json"
        result = fetch_feed(state, export, env=env, sleep=waits.append)
    assert waits == [1.0]  # the 429's Retry-After, then the same page again
    assert result.records == len(people) and result.pages == -(-len(people) // 50)
    assert hr.tokens_issued == 1
    records = json.loads(export.read_text(encoding="utf-8"))
    assert records[0]["employments.0.office.name"] == people[0]["employments"][0]["office"]["name"]
    assert run(["render", str(export), "--state-dir", str(state), "--today", "2026-03-02"]) == 0
    rendered = "".join(users_text(state).values())
    assert rendered.count("- employee_id:") > len(people) // 2


def test_refused_credentials_are_one_error_line_without_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with run_fake_hr(sample_rows()) as hr:
        state = state_with_feed(tmp_path, f"feed:\n  preset: afas\n  url: {hr.afas_url()}\n")
        monkeypatch.setenv("AFAS_TOKEN", "wrong-token-123")
        code = run(["fetch", "--state-dir", str(state), "--out", str(tmp_path / "x.json")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: ") and len(err.strip().splitlines()) == 1
    assert "refused the credentials (401" in err and "wrong-token-123" not in err
    assert not (tmp_path / "x.json").exists()


def test_a_missing_secret_names_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AFAS_TOKEN", raising=False)
    state = state_with_feed(tmp_path, "feed:\n  preset: afas\n  url: http://127.0.0.1:9/x\n")
    assert run(["fetch", "--state-dir", str(state), "--out", str(tmp_path / "x.json")]) == 1
    err = capsys.readouterr().err
    # the render workflow passes AFAS_TOKEN: missing in CI, it is a repository secret not set
    assert "environment variable AFAS_TOKEN (in CI: the repository secret AFAS_TOKEN)" in err
    assert "passes only" not in err


def test_a_source_without_a_feed_or_with_an_unknown_key_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = state_with_feed(tmp_path, "")
    assert run(["fetch", "--state-dir", str(state), "--out", str(tmp_path / "x.json")]) == 1
    assert "no `feed:` section" in capsys.readouterr().err
    state = state_with_feed(tmp_path / "b", "feed:\n  url: http://h/x\n  pagnation: {}\n")
    assert run(["fetch", "--state-dir", str(state), "--out", str(tmp_path / "x.json")]) == 1
    assert "source.yaml" in capsys.readouterr().err


def _client(handler: Any, paging: dict[str, Any]) -> FeedClient:
    config = parse_feed({"url": "http://hr.test/people", "pagination": paging}, "source.yaml")
    return FeedClient(config, {}, transport=httpx.MockTransport(handler), sleep=lambda _: None)


def test_a_feed_whose_next_link_loops_is_refused() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"data": [{"id": "1"}], "next": "/people?page=2"})

    with _client(handler, {"type": "next_link"}) as client, pytest.raises(InputError) as err:
        list(client.records())
    assert "same page twice" in str(err.value)


def test_page_and_cursor_paging_stop_where_the_feed_ends() -> None:
    data = [{"id": str(i)} for i in range(7)]

    def by_page(request: httpx.Request) -> httpx.Response:
        page, size = int(request.url.params["page"]), int(request.url.params["size"])
        return httpx.Response(200, json={"items": data[(page - 1) * size : page * size]})

    with _client(by_page, {"type": "page", "size": 3}) as client:
        assert [r["id"] for r in client.records()] == [str(i) for i in range(7)]
        assert client.pages == 3

    def by_cursor(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor", "0"))
        nxt = str(start + 3) if start + 3 < len(data) else None
        return httpx.Response(200, json={"items": data[start : start + 3], "next_cursor": nxt})

    with _client(by_cursor, {"type": "cursor", "size": 3}) as client:
        assert [r["id"] for r in client.records()] == [str(i) for i in range(7)]


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text("abc", max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text("xyz", min_size=1, max_size=3), _json, max_size=4))
def test_a_flattened_record_holds_only_scalars(record: dict[str, Any]) -> None:
    flat = flatten(record)
    assert all(not isinstance(v, dict | list) for v in flat.values())
    for key, value in record.items():
        if not isinstance(value, dict | list):
            assert flat[key] == value
