"""Onboarding never depends on a contact address: a row without a usable email or phone is a
person invited with a printable sheet (and a warning) when the policy allows it; only when it
does not is the row rejected, with a reason that says so. Reports show contacts masked."""

from __future__ import annotations

from tests.render.conftest import Sync, employee


def only_printable_forbidden(sync: Sync) -> None:
    policy = sync.state_dir / "policy.yaml"
    policy.write_text(policy.read_text().replace("  - printable\n", ""))


def test_a_row_without_email_or_phone_is_a_printable_hire_with_a_warning(sync: Sync) -> None:
    report = sync.render([employee("000100", email="", phone="")])
    person = sync.person("000100")
    assert person is not None and person.invite_channel == "printable"
    assert person.email is None and person.phone is None
    assert report.hires == ("000100",) and report.issues_of("rejected") == ()
    [warning] = report.issues_of("warning")
    assert (warning.line, warning.employee_id) == (2, "000100")
    assert "printable" in warning.reason


def test_an_unusable_phone_without_email_is_printable_and_the_value_is_masked(sync: Sync) -> None:
    report = sync.render([employee("000100", email="", phone="06-1234")])
    person = sync.person("000100")
    assert person is not None and person.invite_channel == "printable" and person.phone is None
    reasons = [i.reason for i in report.issues_of("warning")]
    assert any("unusable phone '06-**34'" in r for r in reasons)
    assert not any("06-1234" in r for r in reasons)


def test_an_unusable_email_is_masked_in_the_warning(sync: Sync) -> None:
    report = sync.render([employee("000100", email="pieter.jansen@versmarkt")])
    [warning] = report.issues_of("warning")
    assert "p***@versmarkt" in warning.reason and "pieter" not in warning.reason
    person = sync.person("000100")
    assert person is not None and person.invite_channel == "sms"


def test_without_printable_in_the_policy_the_row_is_rejected_saying_why(sync: Sync) -> None:
    only_printable_forbidden(sync)
    report = sync.render([employee("000100", email="", phone=""), employee("000101")])
    [rejected] = report.issues_of("rejected")
    assert (rejected.line, rejected.employee_id) == (2, "000100")
    assert "no usable email or phone" in rejected.reason
    assert "invite_channels" in rejected.reason and "printable" in rejected.reason
    assert sync.person("000100") is None and sync.person("000101") is not None


def test_a_phone_fit_only_for_the_record_does_not_make_an_sms_invite(sync: Sync) -> None:
    report = sync.render([employee("000100", email="", phone="012-3456789")])
    person = sync.person("000100")
    assert person is not None and person.phone == "+31123456789"
    assert person.invite_channel == "printable"
    reasons = [i.reason for i in report.issues_of("warning")]
    assert any("not used for an SMS invite" in r for r in reasons)
    assert not any("3456789" in r for r in reasons)


def test_a_phone_fit_only_for_the_record_falls_back_to_email_when_there_is_one(
    sync: Sync,
) -> None:
    sync.render([employee("000100", phone="012-3456789")])
    person = sync.person("000100")
    assert person is not None and person.invite_channel == "email"


def test_an_existing_person_without_contact_stays_and_no_printable_warning_repeats(
    sync: Sync,
) -> None:
    sync.render([employee("000100", email="", phone="")])
    report = sync.render([employee("000100", email="", phone="")])
    assert report.issues == ()
    person = sync.person("000100")
    assert person is not None and person.invite_channel == "printable"


def test_only_a_printable_policy_gives_no_fallback_warning(sync: Sync) -> None:
    policy = sync.state_dir / "policy.yaml"
    text = policy.read_text().replace("  - email\n", "").replace("  - sms\n", "")
    policy.write_text(text)
    report = sync.render([employee("000100", email="", phone="")])
    assert report.issues == ()
    person = sync.person("000100")
    assert person is not None and person.invite_channel == "printable"
