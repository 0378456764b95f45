"""A network's own invite sheet template: ``desired-state/templates/invite.html.j2`` replaces or
extends the built-in one; a template that cannot load or render is one line naming its file and
line, found by ``validate`` and before an apply changes anything; one that fails only on real
data never costs a code (the built-in template writes that sheet); and a template is sandboxed."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from reconciler.cli import run
from reconciler.errors import ConfigError
from reconciler.reconcile import invites
from reconciler.reconcile.invites import Invite, SheetSettings, check_template, render_sheet
from reconciler.speakap.simulator import SimulatorHandle
from tests.reconcile.conftest import person
from tests.reconcile.sheets import parse_sheet, sheet_codes
from tests.reconcile.world import World
from tests.render.conftest import REPO

PEOPLE = [
    Invite("1", "Anna Bakker", "store-01", "1", "AAAA-1111", "nl"),
    Invite("2", "Zed Zwart", "store-01", "2", "BBBB-2222", "en"),
]


def with_template(tmp_path: Path, text: str) -> SheetSettings:
    folder = tmp_path / "desired-state" / invites.TEMPLATES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / invites.TEMPLATE_NAME).write_text(text, encoding="utf-8")
    return SheetSettings(network_name="Versmarkt", template_dir=folder)


def test_a_networks_template_replaces_the_built_in_one(tmp_path: Path) -> None:
    settings = with_template(
        tmp_path,
        "<h1>{{ sheet.unit_name }} ({{ sheet.count_text }})</h1>\n"
        "{% for card in sheet.cards %}<p>{{ card.name }}: {{ card.login }} / {{ card.code }}</p>"
        "{% endfor %}\n",
    )
    check_template(settings)
    [path] = invites.write_invite_sheets(tmp_path / "out", PEOPLE, settings)
    text = path.read_text()
    assert text.startswith("<h1>store-01 (2 invites)</h1>")
    assert "<p>Anna Bakker: 1 / AAAA-1111</p>" in text and "Zed Zwart" in text


def test_a_networks_template_may_extend_the_built_in_one_and_change_a_block(
    tmp_path: Path,
) -> None:
    settings = with_template(
        tmp_path,
        '{% extends "builtin/invite.html.j2" %}\n'
        "{% block style %}{{ super() }} .card .name { color: darkgreen; }{% endblock %}\n",
    )
    check_template(settings)
    text = render_sheet("store-01", PEOPLE, settings)
    assert ".card .name { color: darkgreen; }" in text
    sheet = parse_sheet(text)
    assert [(c.name, c.code) for c in sheet.cards] == [
        ("Anna Bakker", "AAAA-1111"),
        ("Zed Zwart", "BBBB-2222"),
    ]


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        ("<p>ok</p>\n<p>{{ sheet.count }</p>\n", 2, "unexpected '}'"),
        ("<p>\n{% for card in sheet.cards %}\n{{ card.name }}\n", 3, "for"),
        ("{% extends 'builtin/nothing.j2' %}\n", 1, "no template named 'builtin/nothing.j2'"),
        ("<p>\n\n{{ sheet.cards[0].nmae }}</p>\n", 3, "nmae"),
        ("{{ sheet.count / 0 }}\n", 1, "division by zero"),
        ("{% for c in sheet.cards %}{{ c.code.upper(1, 2) }}{% endfor %}\n", 1, "argument"),
    ],
)
def test_a_broken_template_is_one_error_naming_its_file_and_line(
    tmp_path: Path, text: str, line: int | None, says: str
) -> None:
    settings = with_template(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        check_template(settings)
    error = caught.value
    assert error.file is not None and error.file.endswith("templates/invite.html.j2")
    assert error.line == line
    assert says in str(error) and "\n" not in str(error)
    assert str(error).startswith(f"{error.file}{':' + str(line) if line else ''}: invite template")


def test_a_template_is_sandboxed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPEAKAP_TOKEN", "secret-token-value")
    settings = with_template(
        tmp_path,
        "{{ sheet.t.invites.__globals__['os'].environ['SPEAKAP_TOKEN'] }}\n"
        "{{ cycler.__init__.__globals__.os.environ }}\n",
    )
    with pytest.raises(ConfigError) as caught:
        check_template(settings)
    assert "secret-token-value" not in str(caught.value)
    assert caught.value.line == 1


def test_a_template_that_fails_only_on_real_data_never_costs_a_code(tmp_path: Path) -> None:
    settings = with_template(
        tmp_path,
        "{% for card in sheet.cards %}{% if card.name == 'Zed Zwart' %}{{ card.oops }}"
        "{% else %}<p>{{ card.name }}</p>{% endif %}{% endfor %}\n",
    )
    check_template(settings)  # the samples pass
    heard: list[str] = []
    [path] = invites.write_invite_sheets(tmp_path / "out", PEOPLE, settings, notify=heard.append)
    assert {c.code for c in parse_sheet(path.read_text()).cards} == {"AAAA-1111", "BBBB-2222"}
    [line] = heard
    assert re.search(r"templates/invite\.html\.j2:1: invite template cannot render: .*oops", line)
    assert line.endswith("the sheet was written with the built-in template")


def test_validate_reports_a_broken_template(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "desired-state"
    shutil.copytree(REPO / "desired-state", state)
    (state / "templates").mkdir()
    (state / "templates" / "invite.html.j2").write_text("{% if %}\n")
    assert run(["validate", "--state-dir", str(state)]) == 1
    err = capsys.readouterr().err
    assert f"error: {state}/templates/invite.html.j2:1: invite template: " in err
    (state / "templates" / "invite.html.j2").write_text("{{ sheet.count_text }}\n")
    assert run(["validate", "--state-dir", str(state)]) == 0


def test_apply_refuses_a_broken_template_before_changing_anything(
    sim_world: tuple[World, SimulatorHandle], capsys: pytest.CaptureFixture[str]
) -> None:
    world, _ = sim_world
    (world.state / "templates").mkdir()
    (world.state / "templates" / "invite.html.j2").write_text("{{ sheet.cards[0].nmae }}\n")
    world.commit([person("P1", email=None, invite_channel="printable")])
    assert world.plan() == 2
    capsys.readouterr()
    assert world.apply() == 1
    err = capsys.readouterr().err
    assert "templates/invite.html.j2:1: invite template cannot render" in err
    assert "Traceback" not in err
    assert world.users() == {}
    (world.state / "templates" / "invite.html.j2").unlink()
    world.commit([person("P1", email=None, invite_channel="printable")], "fix the template")
    assert world.plan() == 2
    assert world.apply() == 0
    assert set(sheet_codes(world.out)) == {"P1"}
