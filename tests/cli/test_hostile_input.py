"""Hostile input, as the CLI meets it: generated CSV and JSON exports and YAML files are
refused with one `error:` line (exit 1) or rendered with their bad rows reported (exit 0),
never a traceback, within 256 MiB of address space and 5 s of CPU. The CLI runs in a child
process whose limits are set by setrlimit, so a blow-up kills the child, not the test run."""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.render.sources.base import MAX_LINE_CHARS
from tests.render.conftest import REPO

MIB = 1 << 20
PROGRESS = re.compile(r"render (rows|people): [0-9,]+(/[0-9,]+)?( |,|$)")
SOURCE = """\
columns:
  employee_id: Personeelsnummer
  given_name: Voornaam
  family_name: Achternaam
  email: E-mailadres
output:
  user_shards: 16
"""
HEADER = "Personeelsnummer;Voornaam;Achternaam;E-mailadres\r\n"
SETTINGS = settings(
    max_examples=3,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def run_cli(args: list[str], *, memory: int = 256 * MIB, cpu: int = 5) -> tuple[int, str, str]:
    """The CLI in a child process limited to ``memory`` bytes and ``cpu`` seconds."""

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))

    done = subprocess.run(
        [sys.executable, "-m", "reconciler", *args],
        capture_output=True,
        text=True,
        preexec_fn=limits,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def assert_handled(code: int, out: str, err: str) -> None:
    """Refused with one error line, or done with warnings only: nothing else (but the
    progress lines a render longer than 2 s prints: ``render rows: 144,813/144,813 ...``,
    ``render people: ...``)."""
    assert "Traceback" not in err and "MemoryError" not in err, err[-2000:]
    assert code in (0, 1), f"exit {code} (killed by a limit?): {err[-2000:]}"
    lines = [line for line in err.splitlines() if not PROGRESS.match(line)]
    if code == 1:
        assert len(lines) == 1 and lines[0].startswith("error: "), err[-2000:]
    else:
        assert all(line.startswith("warning: ") for line in lines), err[-2000:]


@pytest.fixture
def state(tmp_path: Path) -> Path:
    """A desired-state folder that reads a four-column export and maps nobody to units."""
    target = tmp_path / "desired-state"
    target.mkdir()
    shutil.copy(REPO / "desired-state" / "org-units.yaml", target)
    policy = (REPO / "desired-state" / "policy.yaml").read_text(encoding="utf-8")
    (target / "policy.yaml").write_text(
        policy.replace("allow_without_business_unit: false", "allow_without_business_unit: true"),
        encoding="utf-8",
    )
    (target / "source.yaml").write_text(SOURCE, encoding="utf-8")
    (target / "rules.yaml").write_text("rules: []\n", encoding="utf-8")
    return target


def render(state: Path, export: Path) -> tuple[int, str, str]:
    return run_cli(["render", str(export), "--state-dir", str(state), "--today", "2026-03-02"])


CSV_PIECES = st.sampled_from(
    ['"', '""', ";", "\r\n", "\n", "\r", "\x00", "\u200b", "../", " ", "Jan", "001", "\ufeff"]
) | st.sampled_from(["a@b.nl", "x" * 5000, "\t", ",", "\x1a", "1;Jan;Jansen;j@b.nl\r\n"])
CSV_TAILS = st.sampled_from(
    [
        "",
        # a quote swallows 6 MB (in long lines: when the body closes the quote, the rows are
        # an export of 2,000 people, not a 200,000-row render beyond the memory limit)
        '2;"Eva;Smit;e@b.nl\r\n' + ("3;Piet;Pan;" + "p" * 3000 + "@b.nl\r\n") * 2_000,
        "4;Ada;" + "y" * (MAX_LINE_CHARS + 1) + "\r\n",  # one line beyond the limit
        ";" * 500_000 + "\r\n",  # half a million columns in one row
    ]
)


@SETTINGS
@given(body=st.lists(CSV_PIECES, max_size=80).map("".join), tail=CSV_TAILS)
def test_a_hostile_csv_export_is_refused_or_reported_by_row(
    state: Path, tmp_path: Path, body: str, tail: str
) -> None:
    export = tmp_path / "export.csv"
    export.write_text(HEADER + body + tail, encoding="utf-8", newline="")
    assert_handled(*render(state, export))


JSON_VALUES = st.one_of(
    st.sampled_from(["NaN", "Infinity", "-Infinity", "1e999", "9" * 5001, "-0", "1.5"]),
    st.sampled_from(['"Jan"', '"x\\u0000"', '"\\ud83d"', "null", "{}", "[]", "true"]),
    st.sampled_from(['"' + "z" * 50_000 + '"', '"0\u200b01"', '"../001"']),
    st.integers(0, 30_000).map(lambda n: "[" * n + "]" * n),
)


@SETTINGS
@given(records=st.lists(st.tuples(JSON_VALUES, JSON_VALUES), min_size=1, max_size=4))
def test_a_hostile_json_export_is_refused_or_reported_by_row(
    state: Path, tmp_path: Path, records: list[tuple[str, str]]
) -> None:
    items = [
        f'{{"Personeelsnummer": {i}, "Voornaam": {name}, "Achternaam": "B", "E-mailadres": '
        '"a@b.nl"}'
        for i, name in records
    ]
    export = tmp_path / "export.json"
    export.write_text("[" + ",\n".join(items) + "]", encoding="utf-8")
    assert_handled(*render(state, export))


def alias_bomb(width: int, depth: int) -> str:
    """rules.yaml whose last rule's `in` list expands to width**depth values (in another file,
    the same text breaks its schema: the aliases are refused first)."""
    lines = [
        "rules:",
        f"  - name: r0\n    when: {{field: given_name, in: &a0 [{', '.join(['x'] * width)}]}}",
    ]
    for n in range(1, depth):
        refs = ", ".join([f"*a{n - 1}"] * width)
        lines.append(f"  - name: r{n}\n    when: {{field: given_name, in: &a{n} [{refs}]}}")
    return "\n".join(lines) + "\n"


YAML_TEXTS = st.one_of(
    st.builds(alias_bomb, st.integers(2, 12), st.integers(2, 12)),
    st.builds(
        lambda n, opening, closing: (
            "rules:\n  - name: deep\n    when: " + opening * n + "x" + closing * n + "\n"
        ),
        st.integers(60, 50_000),
        st.just("{a: "),
        st.just("}"),
    ),
    st.integers(60, 50_000).map(lambda n: "rules: " + "[" * n + "]" * n + "\n"),
    st.text(alphabet="[]{}&*:-\n \"'!|>#%@`,?abc", max_size=300),
)


YAML_FILES = st.sampled_from(
    ["rules.yaml", "policy.yaml", "org-units.yaml", "source.yaml", "speakap.yaml", "users/0.yaml"]
)


@SETTINGS
@given(text=YAML_TEXTS, name=YAML_FILES)
def test_a_hostile_yaml_file_is_refused_by_validate(state: Path, text: str, name: str) -> None:
    path = state / name
    path.parent.mkdir(exist_ok=True)
    before = path.read_text(encoding="utf-8") if path.exists() else None
    path.write_text(text, encoding="utf-8")
    try:
        code, out, err = run_cli(["validate", "--state-dir", str(state)])
    finally:  # the next example meets only its own hostile file
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")
    assert_handled(code, out, err)
    if code == 0:
        assert out.startswith("ok: ")


def test_an_alias_bomb_in_rules_yaml_is_refused_by_validate_within_10_s_and_512_mib(
    state: Path,
) -> None:
    (state / "rules.yaml").write_text(alias_bomb(9, 9), encoding="utf-8")
    assert len(alias_bomb(9, 9).encode()) < 1500  # 9**9 values from a small file
    code, _, err = run_cli(["validate", "--state-dir", str(state)], memory=512 * MIB, cpu=10)
    assert code == 1
    where = f"{state / 'rules.yaml'}:5"  # the first alias, in rule r1
    assert err == f"error: {where}: YAML alias *a0 is not allowed here: write the value out\n"
