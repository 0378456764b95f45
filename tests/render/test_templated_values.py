"""A rule's templated job title is filled in per row with the row's fields and the names of
the units the rules chose; a value beyond the length limit is a data error of the row."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from reconciler.desired.config import Config, load_config, parse_rules
from reconciler.desired.documents import parse_yaml
from reconciler.desired.template import MAX_OUTPUT
from reconciler.render.rules import apply_rules
from tests.render.conftest import REPO, Sync, employee

TEMPLATED = """
  - name: title-with-store
    set:
      job_title: "{job_title} – {business_unit.name}"
"""


def templated(state_dir: Path, rule: str = TEMPLATED) -> None:
    rules = state_dir / "rules.yaml"
    rules.write_text(rules.read_text(encoding="utf-8") + rule, encoding="utf-8")


def test_a_templated_job_title_quotes_the_hr_title_and_the_store_name(
    sync: Sync, state_dir: Path
) -> None:
    templated(state_dir)
    sync.render([employee("000100", job_title="Kassière", location="S007")])
    person = sync.person("000100")
    assert person is not None
    assert person.job_title == "Kassière – Versmarkt Tilburg"
    assert "title-with-store" in person.rules


def test_the_units_are_the_ones_the_rules_chose_last(state_dir: Path) -> None:
    templated(
        state_dir,
        TEMPLATED
        + """
  - name: everyone-to-breda
    set:
      business_unit: store-s008
""",
    )
    config = load_config(state_dir)
    mapped = apply_rules({"job_title": "Bakker", "business_unit_code": "S001"}, config)
    assert mapped.job_title == "Bakker – Versmarkt Breda"


def test_a_missing_value_leaves_its_place_empty_and_the_spacing_tidy(state_dir: Path) -> None:
    templated(state_dir, TEMPLATED.replace("{job_title} – ", "{job_title} {first_aid} – "))
    config = load_config(state_dir)
    mapped = apply_rules({"job_title": "Bakker", "business_unit_code": "S001"}, config)
    assert mapped.job_title == "Bakker – Versmarkt Amsterdam Centrum"
    assert apply_rules({"business_unit_code": "S099"}, config).job_title == "–"


def test_a_job_title_beyond_the_limit_rejects_the_row(sync: Sync, state_dir: Path) -> None:
    templated(state_dir)
    report = sync.render([employee("000100", job_title="x" * MAX_OUTPUT, location="S007")])
    assert sync.person("000100") is None
    (issue,) = report.issues_of("rejected")
    assert "title-with-store" in issue.reason and "more than 1,024" in issue.reason


def test_a_constant_job_title_is_unchanged_by_templating(sync: Sync) -> None:
    sync.render([employee("000100", department="110", job_title="")])
    person = sync.person("000100")
    assert person is not None and person.job_title == "Kassamedewerker"


def _always_templated() -> Config:
    """The demo configuration with one more rule, always firing, that sets a template."""
    config = load_config(REPO / "desired-state")
    doc = parse_yaml(
        "rules:" + TEMPLATED.replace("{job_title} –", "{job_title} {first_aid} –"), "x"
    )
    rules = (*config.rules, *parse_rules(doc, "rules.yaml"))
    return Config(config.source, config.org_units, config.codes, rules, config.policy)


_CONFIG = _always_templated()


@given(
    st.dictionaries(
        st.sampled_from(["job_title", "first_aid", "business_unit_code", "department_code"]),
        st.text(),
    )
)
def test_filling_a_template_never_raises_on_any_row(fields: dict[str, str]) -> None:
    mapped = apply_rules(fields, _CONFIG)
    assert mapped.job_title is not None  # the literal dash is always there
    assert mapped.job_title == " ".join(mapped.job_title.split())
    assert len(mapped.job_title) <= MAX_OUTPUT or mapped.errors
