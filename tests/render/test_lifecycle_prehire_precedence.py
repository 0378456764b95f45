"""A row starting after today is a pre-hire even when its data is bad: a future hire without
a name is not rejected, and a bad future-dated extra contract does not quarantine a person
whose current contract is fine. A future row is not rendered, so its data problem is only a
warning (it is checked again on the start date)."""

from __future__ import annotations

from datetime import date

from tests.render.conftest import DAY1, Sync, employee

START = "16-03-2026"


def test_a_pre_hire_with_bad_data_is_a_pre_hire_with_a_warning(sync: Sync) -> None:
    report = sync.render([employee("000100", start=START, given_name="")])
    assert report.prehires == (("000100", date(2026, 3, 16)),)
    assert report.issues_of("rejected") == ()
    warnings = report.issues_of("warning")
    assert [(i.line, i.employee_id) for i in warnings] == [(2, "000100")]
    assert "no name" in warnings[0].reason
    assert sync.person("000100") is None


def test_a_bad_future_contract_does_not_quarantine_a_person_whose_contract_is_fine(
    sync: Sync,
) -> None:
    sync.render([employee("000100")])
    current = employee("000100", location="S003")
    future = employee("000100", location="S007", start=START, given_name="")
    report = sync.render([current, future])
    assert report.issues_of("quarantined") == ()
    assert report.updated == ("000100",)
    person = sync.person("000100")
    assert person is not None and person.business_unit == "store-s003"
    warnings = report.issues_of("warning")
    assert [(i.line, i.employee_id) for i in warnings] == [(3, "000100")]


def test_a_bad_future_contract_does_not_reject_a_new_hire_whose_contract_is_fine(
    sync: Sync,
) -> None:
    report = sync.render([employee("000100"), employee("000100", start=START, given_name="")], DAY1)
    assert report.hires == ("000100",) and report.issues_of("rejected") == ()


def test_a_current_row_with_bad_data_still_rejects_a_new_person(sync: Sync) -> None:
    report = sync.render([employee("000100", given_name="")])
    assert [i.employee_id for i in report.issues_of("rejected")] == ["000100"]
    assert report.prehires == ()
