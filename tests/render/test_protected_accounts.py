"""A protected entry written as people write it (capitals in an email, spaces around an id)
protects the person in render as it does in plan, which compares case-insensitively."""

from __future__ import annotations

from datetime import timedelta

from tests.render.conftest import DAY1, Sync, employee

DAY2 = DAY1 + timedelta(days=1)


def _protect(sync: Sync, entry: str) -> None:
    policy = sync.state_dir / "policy.yaml"
    text = policy.read_text(encoding="utf-8")
    policy.write_text(text.replace('- "001001"', f'- "{entry}"'), encoding="utf-8")


def test_a_network_owner_protected_by_a_capitalised_email_is_not_suspended(sync: Sync) -> None:
    _protect(sync, "Owner.Boss@Versmarkt.nl")
    owner = employee("000200", email="owner.boss@versmarkt.nl")
    sync.render([owner, employee("000100")])
    report = sync.render([employee("000100")], DAY2)
    person = sync.person("000200")
    assert report.protected_kept == ("000200",)
    assert report.leavers == ()
    assert person is not None and person.status == "active"


def test_a_protected_id_with_stray_spaces_is_still_protected(sync: Sync) -> None:
    _protect(sync, " 000200 ")
    sync.render([employee("000200"), employee("000100")])
    report = sync.render([employee("000100")], DAY2 + timedelta(days=60))
    person = sync.person("000200")
    assert report.protected_kept == ("000200",)
    assert person is not None and person.status == "active"
