"""Normalisation of HR values and the mapping rules' conditions and lookups."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.desired.config import Config, load_config, parse_rules
from reconciler.render.normalize import collapse, normalize_email, normalize_phone, normalize_row
from reconciler.render.rules import apply_rules
from reconciler.render.sources.base import RawRow


@pytest.mark.parametrize(
    "text",
    ["06-12345678", "06 12 34 56 78", "+31 6 1234 5678", "0031612345678", "(06) 1234 5678"],
)
def test_dutch_mobile_numbers_in_any_format_become_e164(text: str) -> None:
    assert normalize_phone(text, "NL") == "+31612345678"


def test_a_foreign_number_keeps_its_country_and_nonsense_is_rejected() -> None:
    assert normalize_phone("+32 470 12 34 56", "NL") == "+32470123456"
    assert normalize_phone("0612", "NL") is None
    assert normalize_phone("call me", "NL") is None


def test_emails_are_validated_and_lower_cased_without_dns() -> None:
    assert normalize_email("Anouk.DeVries@Versmarkt.NL") == "anouk.devries@versmarkt.nl"
    assert normalize_email("p.de vries@versmarkt") is None
    assert normalize_email("no-at-sign") is None


@given(st.text(alphabet=" \t\nab", max_size=20))
def test_collapse_trims_and_leaves_single_spaces(text: str) -> None:
    out = collapse(text)
    assert out is None or (out == out.strip() and "  " not in out and "\t" not in out)


def test_a_row_keeps_the_infix_separate_and_tidies_names(config: Config) -> None:
    raw = RawRow(
        line=7,
        values={
            "Personeelsnummer": "000100",
            "Voornaam": "  Jan   Willem ",
            "Tussenvoegsel": "van  der",
            "Achternaam": "Meer",
            "Mobiel nummer": "06-12345678",
            "Datum in dienst": "31-12-2019",
            "Vestiging": "S001",
        },
    )
    row = normalize_row(raw, config.source)
    assert row.errors == ()
    assert (row.fields["given_name"], row.fields["infix"]) == ("Jan Willem", "van der")
    assert row.fields["start_date"] == "2019-12-31"
    assert row.fields["language"] == "nl"  # source.yaml's default_language


@pytest.fixture
def config() -> Config:
    return load_config(Path(__file__).resolve().parents[2] / "desired-state")


def with_rules(config: Config, text: str) -> Config:
    from reconciler.desired.documents import parse_yaml

    rules = parse_rules(parse_yaml(text, "rules.yaml"), "rules.yaml")
    return Config(config.source, config.org_units, config.codes, rules, config.policy)


BASE = {"business_unit_code": "S001", "department_code": "100", "job_title": "Kassière"}


@pytest.mark.parametrize(
    ("when", "fields", "fires"),
    [
        ("{field: department_code, equals: 100}", BASE, True),
        ("{field: department_code, equals: '0100'}", BASE, True),  # numbers by value
        ("{field: department_code, in: ['110', '120']}", BASE, False),
        ("{field: job_title, regex: '^Kass'}", BASE, True),
        ("{missing: first_aid}", BASE, True),
        ("{present: first_aid}", BASE, False),
        ("{field: start_date, gte: '2020-01-01'}", {**BASE, "start_date": "2021-06-01"}, True),
        ("{field: start_date, lt: '2020-01-01'}", {**BASE, "start_date": "2021-06-01"}, False),
        ("{field: department_code, gt: 99}", BASE, True),
        # digits other than ASCII are characters, not numbers
        ("{field: department_code, gt: 99}", {**BASE, "department_code": "١٠٠"}, False),
        ("{field: department_code, equals: 100}", {**BASE, "department_code": "١٠٠"}, False),
        (
            "{all: [{field: business_unit_code, equals: S001}, {not: {present: first_aid}}]}",
            BASE,
            True,
        ),
        ("{any: [{field: department_code, equals: 1}, {missing: job_title}]}", BASE, False),
    ],
)
def test_conditions(config: Config, when: str, fields: dict[str, str], fires: bool) -> None:
    rules = f"rules:\n  - name: probe\n    when: {when}\n    add_groups: [managers]\n"
    mapped = apply_rules(fields, with_rules(config, rules))
    assert (mapped.fired == ("probe",)) is fires


def test_later_sets_override_groups_accumulate_and_stop_ends_the_list(config: Config) -> None:
    rules = """rules:
  - name: a
    set: {business_unit: store-s001, job_title: First}
    add_groups: [managers]
  - name: b
    set: {business_unit: store-s002}
    add_groups: [first-aid]
    stop: true
  - name: c
    set: {job_title: Never}
"""
    mapped = apply_rules(BASE, with_rules(config, rules))
    assert mapped.fired == ("a", "b")
    assert mapped.business_unit == "store-s002"
    assert mapped.job_title == "First"
    assert mapped.groups == ("managers", "first-aid")


def test_a_local_department_lookup_is_scoped_to_the_business_unit(config: Config) -> None:
    at_dc = apply_rules({"business_unit_code": "DC01", "department_code": "201"}, config)
    assert at_dc.units() == ["dc-tilburg", "dept-warehouse", "dc-tilburg-inbound", "dc-staff"]
    in_store = apply_rules({"business_unit_code": "S001", "department_code": "201"}, config)
    assert in_store.local_department is None and in_store.errors == ()


def test_an_unmapped_code_is_an_error_unless_optional(config: Config) -> None:
    mapped = apply_rules({"business_unit_code": "S099", "department_code": "100"}, config)
    assert mapped.business_unit is None
    assert mapped.unmapped == (("business_unit_code", "S099"),)
    assert "unknown business_unit_code 'S099'" in mapped.errors[0]
