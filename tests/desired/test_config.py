"""Configuration files: schema errors with file, line and field; references; round-trips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reconciler.desired.config import CONFIG_FILES, load_config
from reconciler.desired.documents import dump_yaml, load_schema, parse_yaml
from reconciler.errors import ConfigError
from tests.render.conftest import REPO


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(needle)


def test_the_demo_configuration_loads(state_dir: Path) -> None:
    config = load_config(state_dir)
    assert len(config.rules) == 10
    assert config.policy.offboarding == "anonymize"
    assert config.policy.protected == ("001001",)
    assert config.source.phone_region == "NL"


def test_a_wrong_type_names_file_line_and_field(state_dir: Path) -> None:
    policy = state_dir / "policy.yaml"
    edit(policy, "grace_days: 30", "grace_days: thirty")
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert caught.value.file == str(policy)
    assert caught.value.line == line_of(policy, "grace_days")
    assert caught.value.field == "grace_days"
    assert "'thirty' is not of type 'integer'" in caught.value.message


def test_an_unknown_key_names_the_key_its_own_line_and_the_key_it_resembles(
    state_dir: Path,
) -> None:
    policy = state_dir / "policy.yaml"
    edit(policy, "thresholds:", "grace_dayz: 3\nthresholds:")
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert caught.value.message == "unknown key 'grace_dayz' (did you mean 'grace_days'?)"
    assert caught.value.line == line_of(policy, "grace_dayz")
    assert caught.value.field == "grace_dayz"


def test_a_nested_unknown_key_points_at_its_own_line_not_its_mapping(state_dir: Path) -> None:
    source = state_dir / "source.yaml"
    edit(source, "  start_date: Datum in dienst", "  start_datum: Datum in dienst")
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert caught.value.message == "unknown key 'start_datum' (did you mean 'start_date'?)"
    assert caught.value.field == "columns.start_datum"
    assert caught.value.line == line_of(source, "start_datum:")


def test_an_unknown_key_like_no_known_one_gets_no_suggestion(state_dir: Path) -> None:
    policy = state_dir / "policy.yaml"
    edit(policy, "thresholds:", "colour: red\nthresholds:")
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert caught.value.message == "unknown key 'colour'"
    assert caught.value.line == line_of(policy, "colour:")


def test_a_rule_pointing_to_an_undeclared_org_unit_is_a_configuration_error(
    state_dir: Path,
) -> None:
    rules = state_dir / "rules.yaml"
    edit(rules, "add_groups: [dc-staff]", "add_groups: [dc-staf]")
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert caught.value.line == line_of(rules, "dc-staf]")
    assert (
        caught.value.message
    ) == "rule 'dc-staff': org unit 'dc-staf' is not declared in org-units.yaml"


def test_a_rule_pointing_to_a_unit_of_the_wrong_kind_is_rejected(state_dir: Path) -> None:
    edit(state_dir / "rules.yaml", "add_groups: [dc-staff]", "add_groups: [dc-tilburg]")
    with pytest.raises(ConfigError, match="is a business_unit, not a group"):
        load_config(state_dir)


def test_a_rule_reading_an_unknown_field_is_rejected(state_dir: Path) -> None:
    edit(state_dir / "rules.yaml", "field: first_aid", "field: first_aide")
    with pytest.raises(ConfigError, match="field 'first_aide' is not a column"):
        load_config(state_dir)


def test_an_undeclared_parent_and_duplicate_keys_are_rejected(state_dir: Path) -> None:
    units = state_dir / "org-units.yaml"
    edit(units, "parent: region-zuid", "parent: region-west")
    with pytest.raises(ConfigError, match="parent 'region-west' is not declared"):
        load_config(state_dir)


def test_broken_yaml_names_the_line(state_dir: Path) -> None:
    rules = state_dir / "rules.yaml"
    edit(rules, "  - name: dc-staff", "  - name: [dc-staff")
    with pytest.raises(ConfigError) as caught:
        load_config(state_dir)
    assert caught.value.file == str(rules)
    assert caught.value.line is not None and caught.value.line >= line_of(rules, "[dc-staff")


def test_an_invalid_regex_is_a_configuration_error(state_dir: Path) -> None:
    edit(state_dir / "rules.yaml", "regex: '^S\\d{3}$'", "regex: '^S(\\d{3}$'")
    with pytest.raises(ConfigError, match="regex"):
        load_config(state_dir)


@pytest.mark.parametrize("name", CONFIG_FILES)
def test_comments_and_key_order_survive_a_round_trip(name: str) -> None:
    text = (REPO / "desired-state" / name).read_text(encoding="utf-8")
    assert dump_yaml(parse_yaml(text, name)) == text


@pytest.mark.parametrize("name", CONFIG_FILES)
def test_each_config_file_names_its_schema_for_editors(name: str) -> None:
    first = (REPO / "desired-state" / name).read_text(encoding="utf-8").splitlines()[0]
    schema = name.removesuffix(".yaml")
    assert first == f"# yaml-language-server: $schema=../schemas/{schema}.schema.json"
    assert (REPO / "schemas" / f"{schema}.schema.json").is_file()


@pytest.mark.parametrize("name", ["source", "org-units", "rules", "policy", "users"])
def test_schemas_are_draft_2020_12_and_closed(name: str) -> None:
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    json.dumps(schema)
