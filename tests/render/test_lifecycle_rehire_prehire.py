"""A leaver inside the grace period rehired with a future start date is listed as a pre-hire
and stays suspended, the same account, until the start date, even when the grace period ends
first (never dropped, deleted or anonymized, and created anew); on the start date they are
reactivated."""

from __future__ import annotations

from datetime import date, timedelta

from tests.render.conftest import DAY1, Sync, employee

DAY2 = DAY1 + timedelta(days=1)
START = date(2026, 4, 17)  # 45 days after DAY2: beyond the 30-day grace period
RESTART = START.strftime("%d-%m-%Y")


def test_a_leaver_rehired_with_a_future_start_is_a_pre_hire_and_stays_suspended(
    sync: Sync,
) -> None:
    sync.render([employee("000100")])
    sync.render([], DAY2)
    suspended = sync.person("000100")
    assert suspended is not None and suspended.status == "suspended"
    report = sync.render([employee("000100", start=RESTART)], DAY2 + timedelta(days=10))
    assert report.prehires == (("000100", START),)
    assert report.dropped == () and report.reactivated == ()
    assert sync.person("000100") == suspended


def test_a_rehired_leaver_is_kept_past_the_grace_period_until_the_start_date(sync: Sync) -> None:
    sync.render([employee("000100")])
    sync.render([], DAY2)
    suspended = sync.person("000100")
    report = sync.render([employee("000100", start=RESTART)], DAY2 + timedelta(days=40))
    assert report.dropped == ()
    assert report.prehires == (("000100", START),)
    assert sync.person("000100") == suspended
    report = sync.render([employee("000100", start=RESTART)], START)
    assert report.reactivated == ("000100",) and report.hires == ()
    person = sync.person("000100")
    assert person is not None and person.status == "active" and person.start_date == START


def test_an_active_person_whose_only_row_starts_later_is_suspended_and_a_pre_hire(
    sync: Sync,
) -> None:
    sync.render([employee("000100")])
    report = sync.render([employee("000100", start=RESTART)], DAY2)
    assert report.leavers == ("000100",)
    assert report.prehires == (("000100", START),)
    person = sync.person("000100")
    assert person is not None and person.status == "suspended"


def test_a_leaver_without_a_future_contract_is_still_dropped_after_the_grace_period(
    sync: Sync,
) -> None:
    sync.render([employee("000100"), employee("000101")])
    sync.render([employee("000101")], DAY2)
    report = sync.render([employee("000101")], DAY2 + timedelta(days=40))
    assert report.dropped == ("000100",)
    assert sync.person("000100") is None
