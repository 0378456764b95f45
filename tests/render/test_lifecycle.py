"""Render scenarios from the design brief: hires, transfers, leavers, rehires, bad data."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from tests.render.conftest import DAY1, Sync, employee

DAY2 = DAY1 + timedelta(days=1)


def test_a_hire_appears_with_memberships_channel_and_the_rules_that_fired(sync: Sync) -> None:
    report = sync.render([employee("000100", first_aid="ja")])
    person = sync.person("000100")
    assert person is not None
    assert report.hires == ("000100",)
    assert (person.given_name, person.infix, person.family_name) == ("Anouk", "de", "Vries")
    assert person.email == "anouk.000100@versmarkt.nl"
    assert person.phone == "+31612345678"
    assert person.business_unit == "store-s001"
    assert person.department == "dept-sales"
    assert person.memberships == ("dept-sales", "first-aid", "store-s001", "store-staff")
    assert person.invite_channel == "email"
    assert person.status == "active" and person.suspended_on is None
    assert person.start_date == date(2020, 1, 1)
    assert person.rules == (
        "business-unit-by-location",
        "department-by-code",
        "store-staff",
        "first-aid",
    )


def test_a_transfer_moves_the_managed_memberships(sync: Sync) -> None:
    sync.render([employee("000100")])
    report = sync.render([employee("000100", location="DC01", department="201")], DAY2)
    person = sync.person("000100")
    assert person is not None
    assert report.updated == ("000100",)
    assert person.business_unit == "dc-tilburg"
    assert person.memberships == (
        "dc-staff",
        "dc-tilburg",
        "dc-tilburg-inbound",
        "dept-warehouse",
    )


def test_a_name_change_is_one_changed_line_in_the_diff(sync: Sync) -> None:
    others = [employee(f"000{n}") for n in range(200, 260)]
    sync.render([employee("000100"), *others])
    before = sync.users_text()
    sync.render([employee("000100", family_name="Bakker"), *others], DAY2)
    after = sync.users_text()
    changed = [
        (name, old, new)
        for name in before
        for old, new in zip(before[name].splitlines(), after[name].splitlines(), strict=True)
        if old != new
    ]
    assert len(changed) == 1
    assert changed[0][1:] == ('  family_name: "Vries"', '  family_name: "Bakker"')


def test_a_leaver_is_suspended_at_once_then_dropped_after_the_grace_period(sync: Sync) -> None:
    sync.render([employee("000100"), employee("000101")])
    report = sync.render([employee("000101")], DAY2)
    person = sync.person("000100")
    assert report.leavers == ("000100",)
    assert person is not None and person.status == "suspended"
    assert person.suspended_on == DAY2

    report = sync.render([employee("000101")], DAY2 + timedelta(days=29))
    assert report.leavers == () and report.dropped == ()
    assert sync.person("000100") == person  # unchanged while inside the grace period

    report = sync.render([employee("000101")], DAY2 + timedelta(days=30))
    assert report.dropped == ("000100",)
    assert sync.person("000100") is None


def test_an_end_date_in_the_past_makes_a_leaver_even_when_the_row_stays(sync: Sync) -> None:
    sync.render([employee("000100")])
    report = sync.render([employee("000100", end="01-03-2026")], DAY2)
    person = sync.person("000100")
    assert report.leavers == ("000100",)
    assert person is not None and person.status == "suspended"


def test_the_last_working_day_is_still_active(sync: Sync) -> None:
    sync.render([employee("000100", end="02-03-2026")], DAY1)
    person = sync.person("000100")
    assert person is not None and person.status == "active"
    assert person.end_date == DAY1


def test_a_rehire_inside_the_grace_period_reactivates_the_same_account(sync: Sync) -> None:
    sync.render([employee("000100")])
    sync.render([], DAY2)
    report = sync.render([employee("000100")], DAY2 + timedelta(days=10))
    person = sync.person("000100")
    assert report.reactivated == ("000100",) and report.hires == ()
    assert person is not None and person.status == "active" and person.suspended_on is None


def test_a_pre_hire_is_reported_not_rendered_until_the_first_day(sync: Sync) -> None:
    report = sync.render([employee("000100", start="16-03-2026")])
    assert report.prehires == (("000100", date(2026, 3, 16)),)
    assert sync.person("000100") is None
    report = sync.render([employee("000100", start="16-03-2026")], date(2026, 3, 16))
    assert report.hires == ("000100",)


def test_a_data_error_on_an_existing_person_quarantines_them_exactly_as_they_were(
    sync: Sync,
) -> None:
    sync.render([employee("000100"), employee("000101")])
    before = sync.person("000100")
    report = sync.render(
        [employee("000100", email="not-an-address", phone="", family_name="X"), employee("000101")],
        DAY2,
    )
    assert sync.person("000100") == before
    quarantined = report.issues_of("quarantined")
    assert {i.employee_id for i in quarantined} == {"000100"}
    assert all(i.line == 2 for i in quarantined)
    assert report.leavers == ()


def test_an_unknown_department_code_quarantines_a_known_person_and_rejects_a_new_one(
    sync: Sync,
) -> None:
    sync.render([employee("000100")])
    report = sync.render(
        [employee("000100", department="999"), employee("000101", department="999")]
    )
    assert report.issues_of("quarantined")[0].employee_id == "000100"
    assert report.issues_of("rejected")[0].employee_id == "000101"
    assert "unknown department_code '999'" in report.issues_of("rejected")[0].reason
    assert report.unmapped_codes == {"department_code": {"999": 2}}
    assert sync.person("000101") is None


def test_an_invalid_email_on_a_new_person_with_a_phone_is_a_warning_and_sms(sync: Sync) -> None:
    report = sync.render([employee("000100", email="p.de vries@versmarkt")])
    person = sync.person("000100")
    assert person is not None and person.email is None and person.invite_channel == "sms"
    assert [i.kind for i in report.issues] == ["warning"]


def test_a_new_person_without_name_or_date_is_rejected_with_the_line(sync: Sync) -> None:
    report = sync.render(
        [employee("000100", given_name=""), employee("000101", start="31-31-2020")]
    )
    rejected = {(i.line, i.employee_id): i.reason for i in report.issues_of("rejected")}
    assert "no name" in rejected[(2, "000100")]
    assert "invalid start_date" in rejected[(3, "000101")]
    assert sync.state().people == ()


def test_a_duplicate_contract_is_merged_with_the_latest_start_as_primary(sync: Sync) -> None:
    report = sync.render(
        [
            employee("000100", location="S003", start="18-11-2022"),
            employee("000100", location="S007", start="01-09-2024"),
        ]
    )
    person = sync.person("000100")
    assert person is not None
    assert person.business_unit == "store-s007"
    assert {"store-s003", "store-s007"} <= set(person.memberships)
    assert [(m.employee_id, m.lines, m.primary_line) for m in report.merges] == [
        ("000100", (2, 3), 3)
    ]


def test_duplicates_policy_earliest_start_picks_the_older_contract(sync: Sync) -> None:
    policy = sync.state_dir / "policy.yaml"
    policy.write_text(policy.read_text().replace("latest_start", "earliest_start"))
    sync.render(
        [
            employee("000100", location="S003", start="18-11-2022"),
            employee("000100", location="S007", start="01-09-2024"),
        ]
    )
    person = sync.person("000100")
    assert person is not None and person.business_unit == "store-s003"


def test_an_empty_export_suspends_everyone_and_says_so(sync: Sync) -> None:
    people = [employee(f"000{n}") for n in range(100, 120)]
    sync.render(people)
    report = sync.render([], DAY2)
    assert len(report.leavers) == 20
    assert any("no rows" in n for n in report.notices)
    assert (
        "20 of the 20 people active before this render (100.0%) are suspended, above "
        "max_offboard_percent 10: plan will block this unless overridden"
    ) in report.notices
    assert all(p.status == "suspended" for p in sync.state().people)


def test_a_protected_account_is_never_suspended(sync: Sync) -> None:
    sync.render([employee("001001"), employee("000100")])
    report = sync.render([employee("000100")], DAY2)
    protected = sync.person("001001")
    assert report.protected_kept == ("001001",)
    assert protected is not None and protected.status == "active"


def test_invite_channels_follow_the_policy(sync: Sync) -> None:
    rows = [
        employee("000100"),
        employee("000101", email=""),
        employee("000102", email="", phone="0612"),  # unusable phone, no email: printable
    ]
    sync.render(rows)
    channels = {p.employee_id: p.invite_channel for p in sync.state().people}
    assert channels == {"000100": "email", "000101": "sms", "000102": "printable"}

    policy = sync.state_dir / "policy.yaml"
    policy.write_text(policy.read_text().replace("  - sms\n", ""))
    sync.render(rows, DAY2)
    channels = {p.employee_id: p.invite_channel for p in sync.state().people}
    assert channels == {"000100": "email", "000101": "printable", "000102": "printable"}


def test_a_quarantined_person_keeps_every_field_including_suspension(sync: Sync) -> None:
    sync.render([employee("000100")])
    sync.render([], DAY2)
    suspended = sync.person("000100")
    sync.render([employee("000100", start="bogus")], DAY2 + timedelta(days=1))
    assert sync.person("000100") == suspended
    assert suspended is not None and replace(suspended, status="active") != suspended
