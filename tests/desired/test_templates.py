"""Templates in rules.yaml: a restricted str.format that quotes row fields and unit names,
refuses anything else at load (file and line named), and never raises when filled in."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.desired.config import load_config
from reconciler.desired.template import Placeholder, TemplateError, parse_template
from reconciler.errors import ConfigError
from tests.desired.test_config import edit, line_of


def test_a_template_is_literal_text_and_placeholders() -> None:
    template = parse_template("{job_title} – {business_unit.name}")
    assert template.parts == (
        Placeholder("job_title"),
        " – ",
        Placeholder("business_unit.name"),
    )
    assert template.render({"job_title": "Kassière", "business_unit.name": "Tilburg"}) == (
        "Kassière – Tilburg"
    )


def test_doubled_braces_are_literal_and_text_without_placeholders_is_a_constant() -> None:
    assert parse_template("Team {{A}}").constant == "Team {A}"
    assert parse_template("Kassamedewerker").constant == "Kassamedewerker"
    assert parse_template("{job_title}").constant is None


def test_a_placeholder_without_a_value_gives_empty_text() -> None:
    assert parse_template("{job_title} ({department.name})").render({}) == " ()"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("{job_title", "'{' is not closed"),
        ("job_title}", "a single '}'"),
        ("{}", "an empty placeholder"),
        ("{job_title!r}", "conversions"),
        ("{job_title:>999999999}", "format specs"),
        ("{job_title[0]}", "indexing is not supported"),
        ("{job_title.__class__}", "a placeholder is a field name"),
        ("{job_title.upper}", "only business_unit, department, local_department have"),
        ("{business_unit.parent}", "only business_unit, department, local_department have"),
        ("{Functie}", "a placeholder is a field name"),
        ("{a.b.c}", "a placeholder is a field name"),
    ],
)
def test_anything_beyond_names_is_refused(text: str, problem: str) -> None:
    with pytest.raises(TemplateError, match=problem):
        parse_template(text)


def test_an_error_names_its_column() -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template("Team {job_title:x}")
    assert caught.value.column == 6


@given(st.text(max_size=60))
def test_parsing_arbitrary_text_either_works_or_raises_a_template_error(text: str) -> None:
    try:
        template = parse_template(text)
    except TemplateError:
        return
    # written out again (literal braces doubled), it parses to the same parts
    again = "".join(
        p.replace("{", "{{").replace("}", "}}") if isinstance(p, str) else "{" + p.name + "}"
        for p in template.parts
    )
    assert parse_template(again).parts == template.parts


@given(
    st.dictionaries(
        st.sampled_from(["job_title", "first_aid", "business_unit.name", "department.key"]),
        st.one_of(st.none(), st.text(max_size=200)),
    )
)
def test_rendering_never_raises_and_stays_within_template_plus_values(
    values: dict[str, str | None],
) -> None:
    template = parse_template("{job_title} – {business_unit.name} {{{first_aid}}} {department.key}")
    out = template.render(values)
    assert len(out) <= len(template.text) + sum(len(v or "") for v in values.values())


def test_an_unknown_field_in_a_template_is_refused_at_load_with_file_and_line(
    state_dir: Path,
) -> None:
    rules = state_dir / "rules.yaml"
    edit(rules, "job_title: Kassamedewerker", 'job_title: "{functie} – {business_unit.name}"')
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert caught.value.file == str(rules)
    assert caught.value.line == line_of(rules, "{functie}")
    assert caught.value.field == "job_title"
    assert "field {functie} is not a column in source.yaml" in caught.value.message


def test_a_syntax_error_in_a_template_is_refused_at_load_with_file_and_line(
    state_dir: Path,
) -> None:
    rules = state_dir / "rules.yaml"
    edit(rules, "job_title: Kassamedewerker", 'job_title: "{job_title:>99999}"')
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert (caught.value.file, caught.value.line) == (str(rules), line_of(rules, "99999"))
    assert "format specs" in caught.value.message


def test_a_template_over_extra_fields_and_unit_attributes_loads(state_dir: Path) -> None:
    rules = state_dir / "rules.yaml"
    edit(
        rules,
        "job_title: Kassamedewerker",
        'job_title: "{job_title} ({first_aid}) – {department.name} {local_department.key}"',
    )
    config = load_config(state_dir)
    (title,) = [r.job_title for r in config.rules if r.name == "cashier-title"]
    assert title is not None and len(title.placeholders) == 4
