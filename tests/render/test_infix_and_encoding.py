"""Dutch infixes written into the family name, and exports in encodings we do not read."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.cli import run
from reconciler.desired.config import Config, SourceConfig, load_config
from reconciler.errors import InputError
from reconciler.render.normalize import TUSSENVOEGSELS, normalize_row, split_infix
from reconciler.render.sources import open_export
from reconciler.render.sources.base import RawRow
from tests.render.conftest import REPO, Sync, employee
from tests.render.make_samples import to_csv

SOURCE = SourceConfig(columns={"employee_id": "id", "given_name": "first", "family_name": "last"})


@pytest.mark.parametrize(
    ("written", "infix", "family"),
    [
        ("van der Berg", "van der", "Berg"),
        ("de Vries", "de", "Vries"),
        ("Van den Heuvel", "van den", "Heuvel"),  # capitalised at the start of the column
        ("VAN DER MEER", "van der", "MEER"),
        ("in 't Veld", "in 't", "Veld"),
        ("In ’t Veld", "in 't", "Veld"),  # a typographic apostrophe
        ("ter Horst", "ter", "Horst"),
        ("uit den Bogaard", "uit den", "Bogaard"),
        ("op de Beek", "op de", "Beek"),
        ("van der Berg-de Vries", "van der", "Berg-de Vries"),  # a double name keeps its 'de'
        ("van Beek van Dijk", "van", "Beek van Dijk"),
    ],
)
def test_a_leading_tussenvoegsel_is_split_from_the_family_name(
    written: str, infix: str, family: str
) -> None:
    assert split_infix(written) == (infix, family)


@pytest.mark.parametrize(
    "written",
    [
        "Jansen",
        "Devries",  # not a whole word
        "Vandenberg",
        "Van",  # the infix alone would leave no family name
        "de",
        "van der",  # only tussenvoegsels: 'der' is no family name
        "Le Thi",  # foreign particles are not Dutch infixes
        "Da Silva",
        "Inge",  # 'in' is no infix on its own
    ],
)
def test_a_family_name_without_a_leading_tussenvoegsel_stays_whole(written: str) -> None:
    assert split_infix(written) == (None, written)


_WORDS = st.sampled_from(["van", "de", "der", "den", "Van", "in", "'t", "Berg", "Vries", "ter"])


@given(st.lists(_WORDS, min_size=1, max_size=5))
def test_splitting_keeps_every_word_and_never_empties_the_family_name(words: list[str]) -> None:
    written = " ".join(words)
    infix, family = split_infix(written)
    assert family.strip() != ""
    if infix is None:
        assert family == written
    else:
        assert infix in TUSSENVOEGSELS and family.lower() not in TUSSENVOEGSELS
        taken = len(infix.split())
        assert infix.split() == [w.lower() for w in words[:taken]]
        assert family == " ".join(words[taken:])


@pytest.fixture
def config(state_dir: Path) -> Config:
    return load_config(state_dir)


def a_row(family: str, infix: str = "") -> RawRow:
    values = {**employee("000200", infix=infix, family_name=family)}
    return RawRow(line=5, values=dict(values))


def test_a_hire_with_van_der_in_the_family_name_column_gets_an_infix(config: Config) -> None:
    assert config.source.split_infix  # the demo's source.yaml turns it on
    row = normalize_row(a_row("van der Berg"), config.source)
    assert row.errors == ()
    assert (row.fields["infix"], row.fields["family_name"]) == ("van der", "Berg")


def test_a_filled_infix_column_is_never_second_guessed(config: Config) -> None:
    row = normalize_row(a_row("der Berg", infix="van"), config.source)
    assert (row.fields["infix"], row.fields["family_name"]) == ("van", "der Berg")


def test_without_split_infix_the_family_name_is_kept_as_written(config: Config) -> None:
    source = replace(config.source, split_infix=False)
    row = normalize_row(a_row("Van den Heuvel"), source)
    assert "infix" not in row.fields and row.fields["family_name"] == "Van den Heuvel"


def test_a_render_stores_the_split_name_in_the_desired_state(sync: Sync) -> None:
    sync.render([employee("000300", infix="", family_name="Van den Heuvel")])
    person = sync.person("000300")
    assert person is not None
    assert (person.given_name, person.infix, person.family_name) == ("Anouk", "van den", "Heuvel")


def test_split_infix_must_be_a_boolean_in_source_yaml(state_dir: Path) -> None:
    path = state_dir / "source.yaml"
    path.write_text(path.read_text().replace("split_infix: true", "split_infix: often"))
    with pytest.raises(Exception, match="split_infix") as caught:
        load_config(state_dir)
    assert "source.yaml" in str(caught.value)


# -- encodings we do not read ---------------------------------------------------------------


def test_a_utf16_export_is_refused_as_undecodable_not_as_a_missing_column(
    tmp_path: Path,
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("id;first;last\n1;Jan;Jansen\n".encode("utf-16"))  # with its BOM
    with pytest.raises(InputError) as caught:
        open_export(path, SOURCE)
    assert caught.value.message.startswith("undecodable: unsupported encoding UTF-16")
    assert (caught.value.file, caught.value.line) == (str(path), 1)
    assert "missing required column" not in str(caught.value)


def test_a_utf16_export_without_a_bom_is_refused_at_its_first_line(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("id;first;last\n1;Jan;Jansen\n".encode("utf-16-le"))
    with pytest.raises(InputError) as caught:
        open_export(path, SOURCE)
    assert caught.value.message.startswith("undecodable: byte 0x00 is binary data")
    assert caught.value.line == 1


def test_binary_garbage_is_refused_naming_its_line(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    garbage = random.Random(7).randbytes(4096)
    path.write_bytes(b"id;first;last\n1;Jan;Jansen\n" + garbage)
    with pytest.raises(InputError) as caught:
        open_export(path, SOURCE)
    assert caught.value.message.startswith("undecodable:")
    assert caught.value.line is not None and caught.value.line >= 3


def test_even_a_pinned_cp1252_encoding_does_not_read_utf16(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("id;first;last\n1;Jan;Jansen\n".encode("utf-16"))
    with pytest.raises(InputError, match="undecodable: unsupported encoding UTF-16"):
        open_export(path, replace(SOURCE, encoding="cp1252"))


def test_a_utf16_json_export_is_refused_as_undecodable(tmp_path: Path) -> None:
    path = tmp_path / "export.json"
    path.write_bytes(json.dumps([{"id": 1, "first": "Jan", "last": "Jansen"}]).encode("utf-16"))
    with pytest.raises(InputError, match="undecodable: unsupported encoding UTF-16"):
        open_export(path, SOURCE)


def test_render_of_a_utf16_export_says_so_once_without_a_traceback(
    state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "hr.csv"
    path.write_bytes(to_csv([employee("000400")]).decode("cp1252").encode("utf-16"))
    before = sorted(p.name for p in state_dir.iterdir())
    assert run(["render", str(path), "--state-dir", str(state_dir), "--today", "2026-03-02"]) == 1
    err = capsys.readouterr().err
    assert f"{path}:1: undecodable: unsupported encoding UTF-16" in err
    assert "Traceback" not in err and "missing required column" not in err
    assert sorted(p.name for p in state_dir.iterdir()) == before  # nothing written


def test_the_shipped_sample_exports_are_still_read(config: Config) -> None:
    for name in ("hr-export-day1.csv", "hr-export-day2.csv"):
        export = open_export(REPO / "reconciler" / "data" / name, config.source)
        assert sum(1 for _ in export.rows) > 300
