"""One client suite, two servers: the embedded simulator and scim2-server (a third-party peer).

Every test reads like a scenario of the sync and runs unchanged against both servers.
"""

from __future__ import annotations

import math

import pytest

from reconciler.model import Action, LiveSnapshot, LiveUser, OrgUnit, Person
from reconciler.speakap import mapping
from reconciler.speakap.client import ScimClient, Secret
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.errors import (
    AuthenticationError,
    InvalidRequestError,
    NotFoundError,
    PreconditionFailedError,
    UniquenessError,
)
from tests.speakap.conftest import TOKEN, Peer

STORE = OrgUnit("store-001", "business_unit", "Store Utrecht")
BAKERY = OrgUnit("bakery", "department", "Bakery")
LOCAL_BAKERY = OrgUnit("store-001-bakery", "local_department", "Bakery Utrecht", parent="store-001")
UNITS = {u.key: u for u in (STORE, BAKERY, LOCAL_BAKERY)}


def person(n: int, **changes: object) -> Person:
    values: dict[str, object] = {
        "employee_id": f"E{n:05d}",
        "given_name": f"Given{n}",
        "infix": "van der" if n % 2 else None,
        "family_name": f"Family{n}",
        "email": f"Person{n}@Versmarkt.example",
        "phone": f"+316{n:08d}",
        "job_title": "Cashier",
        "language": "nl",
    }
    values.update(changes)
    return Person(**values)  # type: ignore[arg-type]


def hire(peer: Peer, people: list[Person]) -> dict[str, str]:
    """Create people through the backend; returns employee id -> live id."""
    backend = peer.backend()
    actions = [Action(f"create_user:{p.employee_id}", "create_user", p.employee_id) for p in people]
    results = backend.execute(actions, {p.employee_id: p for p in people}, UNITS)
    assert all(r.ok for r in results), [r.detail for r in results if not r.ok]
    return {p.employee_id: str(r.created_id) for p, r in zip(people, results, strict=True)}


def by_employee(snapshot: LiveSnapshot) -> dict[str | None, LiveUser]:
    return {u.employee_id: u for u in snapshot.users}


def test_a_new_hire_is_created_and_read_back_in_canonical_form(scim_peer: Peer) -> None:
    ids = hire(scim_peer, [person(1)])
    snapshot = scim_peer.backend().fetch_snapshot()
    user = by_employee(snapshot)["E00001"]
    assert user.id == ids["E00001"]
    assert user.profile() == {
        "given_name": "Given1",
        "infix": "van der",
        "family_name": "Family1",
        "email": "person1@versmarkt.example",
        "phone": "+31600000001",
        "job_title": "Cashier",
        "language": "nl",
    }
    assert user.managed and user.active
    assert user.user_name == "person1@versmarkt.example"


def test_listing_fetches_every_page_once_and_no_user_twice(scim_peer: Peer) -> None:
    hire(scim_peer, [person(n) for n in range(25)])
    client = scim_peer.client(page_size=4, concurrency=4)
    users = client.list_all("/Users")
    assert len(users) == 25
    assert len({u["id"] for u in users}) == 25
    assert client.stats.requests == math.ceil(25 / 4)


def test_lookup_by_employee_id_and_login(scim_peer: Peer) -> None:
    ids = hire(scim_peer, [person(1), person(2)])
    client = scim_peer.client()
    found = client.search("/Users", scim_peer.dialect.employee_id_filter("E00002"))
    assert [u["id"] for u in found] == [ids["E00002"]]
    assert client.find_by_user_name("person1@versmarkt.example")["id"] == ids["E00001"]  # type: ignore[index]
    assert client.find_by_external_id("/Users", "E99999") is None
    either = client.search("/Users", 'externalId eq "E00001" or externalId eq "E00002"')
    assert {u["id"] for u in either} == set(ids.values())


def test_org_units_and_memberships_created_in_one_apply(scim_peer: Peer) -> None:
    """Ids created earlier in the same apply (groups, users) are resolved by the backend."""
    backend = scim_peer.backend()
    people = {p.employee_id: p for p in (person(n) for n in range(7))}
    units = [Action(f"create_org_unit:{k}", "create_org_unit", org_unit=k) for k in UNITS]
    assert all(r.ok for r in backend.execute(units, people, UNITS))
    hires = [Action(f"create_user:{e}", "create_user", e) for e in people]
    assert all(r.ok for r in backend.execute(hires, people, UNITS))
    joins = [
        Action(f"add_membership:{e}:{k}", "add_membership", e, org_unit=k)
        for e in people
        for k in ("store-001", "store-001-bakery")
    ]
    results = backend.execute(joins, people, UNITS)
    assert all(r.ok for r in results) and len(results) == 14
    groups = {g.key: g for g in backend.fetch_snapshot().groups}
    live_ids = {u.id for u in backend.fetch_snapshot().users}
    assert groups["store-001"].members == live_ids
    assert groups["store-001-bakery"].kind == "local_department"
    assert groups["store-001-bakery"].parent_key == "store-001"
    assert groups["bakery"].members == frozenset()


def test_a_transfer_sends_membership_changes_in_batches(scim_peer: Peer) -> None:
    backend = scim_peer.backend()
    people = {p.employee_id: p for p in (person(n) for n in range(7))}
    backend.execute([Action("u:store", "create_org_unit", org_unit="store-001")], people, UNITS)
    hire(scim_peer, list(people.values()))
    backend = scim_peer.backend()
    backend.dialect = Dialect(memberships_from=scim_peer.dialect.memberships_from, batch_size=3)
    joins = [Action(f"j:{e}", "add_membership", e, org_unit="store-001") for e in people]
    backend.fetch_snapshot()  # learns the live ids: the PATCHes are the only other requests
    bulk = backend.bulk_limits()  # scim2-server announces SCIM Bulk, the simulator does not
    before = backend.client.stats.requests
    assert all(r.ok for r in backend.execute(joins, people, UNITS))
    # 7 members in PATCHes of at most 3: three requests, or one Bulk request carrying them
    assert backend.client.stats.requests - before == (1 if bulk else 3)
    leavers = [
        Action(f"l:{e}", "remove_membership", e, org_unit="store-001") for e in ("E00000", "E00003")
    ]
    assert all(r.ok for r in backend.execute(leavers, people, UNITS))
    snapshot = backend.fetch_snapshot()
    store = next(g for g in snapshot.groups if g.key == "store-001")
    ids = by_employee(snapshot)
    assert store.members == {ids[e].id for e in people if e not in ("E00000", "E00003")}


def test_an_update_changes_only_the_fields_that_changed(scim_peer: Peer) -> None:
    ids = hire(scim_peer, [person(1)])
    backend = scim_peer.backend()
    changed = person(1, job_title="Store manager", phone=None, family_name="Jansen")
    action = Action(
        "update_user:E00001",
        "update_user",
        "E00001",
        user_id=ids["E00001"],
        after={"job_title": "Store manager", "phone": None, "family_name": "Jansen"},
    )
    assert backend.execute([action], {"E00001": changed}, UNITS)[0].ok
    user = by_employee(backend.fetch_snapshot())["E00001"]
    assert (user.job_title, user.phone, user.family_name) == ("Store manager", None, "Jansen")
    assert (user.given_name, user.email, user.language) == (
        "Given1",
        "person1@versmarkt.example",
        "nl",
    )
    raw = backend.client.get("/Users", ids["E00001"])
    assert raw["displayName"] == "Given1 van der Jansen"


def test_a_leaver_is_suspended_then_reactivated_when_rehired(scim_peer: Peer) -> None:
    ids = hire(scim_peer, [person(1)])
    backend = scim_peer.backend()
    p = {"E00001": person(1)}
    backend.execute([Action("s", "suspend_user", "E00001", user_id=ids["E00001"])], p, UNITS)
    assert by_employee(backend.fetch_snapshot())["E00001"].active is False
    backend.execute([Action("r", "reactivate_user", "E00001")], p, UNITS)  # id resolved by lookup
    assert by_employee(backend.fetch_snapshot())["E00001"].active is True


def test_an_existing_unmanaged_account_is_adopted(scim_peer: Peer) -> None:
    client = scim_peer.client()
    body = {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "manual@versmarkt.example",
        "name": {"givenName": "Manual", "familyName": "Account"},
        "emails": [{"value": "manual@versmarkt.example", "primary": True}],
    }
    live_id = client.create("/Users", body)["id"]
    backend = scim_peer.backend()
    before = {u.id: u for u in backend.fetch_snapshot().users}[live_id]
    assert not before.managed and before.employee_id is None
    action = Action("a", "adopt_user", "E00042", user_id=live_id)
    assert backend.execute([action], {}, UNITS)[0].ok
    after = {u.id: u for u in backend.fetch_snapshot().users}[live_id]
    assert after.managed and after.employee_id == "E00042"
    assert after.given_name == "Manual"


def test_a_leaver_past_grace_is_deleted_or_anonymized(scim_peer: Peer) -> None:
    ids = hire(scim_peer, [person(1), person(2), person(3)])
    backend = scim_peer.backend()
    actions = [
        Action("d", "delete_user", "E00001", user_id=ids["E00001"]),
        Action("x", "anonymize_user", "E00002", user_id=ids["E00002"]),
    ]
    assert all(r.ok for r in backend.execute(actions, {}, UNITS))
    assert set(by_employee(backend.fetch_snapshot())) == {"E00003"}
    # Deleting what is already gone is done, not an error (a resumed apply).
    assert backend.execute([actions[0]], {}, UNITS)[0].ok
    if scim_peer.simulator is not None:
        anonymized = scim_peer.simulator.network.deleted[ids["E00002"]].user
        assert anonymized["name"]["givenName"] == "Anonymous"
        assert "emails" not in anonymized and "phoneNumbers" not in anonymized


def test_a_stale_etag_is_a_conflict_to_resolve_by_rereading(scim_peer: Peer) -> None:
    ids = hire(scim_peer, [person(1)])
    client = scim_peer.client()
    assert client.etag_supported
    first = client.get("/Users", ids["E00001"])
    client.patch("/Users", ids["E00001"], [{"op": "replace", "path": "title", "value": "Baker"}])
    with pytest.raises(PreconditionFailedError) as caught:
        client.patch(
            "/Users",
            ids["E00001"],
            [{"op": "replace", "path": "title", "value": "Butcher"}],
            etag=first["meta"]["version"],
        )
    assert caught.value.status == 412
    fresh = client.get("/Users", ids["E00001"])
    client.patch(
        "/Users",
        ids["E00001"],
        [{"op": "replace", "path": "title", "value": "Butcher"}],
        etag=fresh["meta"]["version"],
    )
    assert client.get("/Users", ids["E00001"])["title"] == "Butcher"


def test_a_second_account_with_the_same_login_is_refused(scim_peer: Peer) -> None:
    hire(scim_peer, [person(1)])
    client = scim_peer.client()
    duplicate = mapping.user_body(person(1, employee_id="E77777"), scim_peer.dialect)
    with pytest.raises(UniquenessError) as caught:
        client.create("/Users", duplicate)
    assert caught.value.status == 409


def test_a_hire_whose_login_is_another_account_s_fails_alone_and_says_so(
    scim_peer: Peer,
) -> None:
    hire(scim_peer, [person(1)])
    twin = person(2, email=person(1).email)  # HR gave a second person the same email
    action = Action("create_user:E00002", "create_user", "E00002")
    [result] = scim_peer.backend().execute([action], {"E00002": twin}, UNITS)
    assert not result.ok and "HTTP 409" in result.detail
    assert "another account already has this login" in result.detail
    users = by_employee(scim_peer.backend().fetch_snapshot())
    assert set(users) == {"E00001"}  # nothing was created for the twin


def test_a_missing_user_and_a_bad_filter_are_typed_errors(scim_peer: Peer) -> None:
    client = scim_peer.client()
    with pytest.raises(NotFoundError):
        client.get("/Users", "00000000000000000000000000000000")
    with pytest.raises(InvalidRequestError) as caught:
        client.search("/Users", 'userName eq "unterminated')
    assert caught.value.status == 400


def test_a_wrong_token_stops_everything_without_showing_the_token(scim_peer: Peer) -> None:
    wrong = "wrong-secret-token-123"
    backend = scim_peer.backend()
    backend.client.close()
    backend.client = ScimClient(scim_peer.url, Secret(wrong))
    with pytest.raises(AuthenticationError) as caught:
        backend.fetch_snapshot()
    assert wrong not in str(caught.value) and TOKEN not in str(caught.value)
    assert "SPEAKAP_TOKEN" in str(caught.value)
    with pytest.raises(AuthenticationError):
        backend.execute([Action("c", "create_user", "E00001")], {"E00001": person(1)}, UNITS)


def test_a_resumed_apply_finds_the_hire_an_interrupted_run_already_created(
    scim_peer: Peer,
) -> None:
    ids = hire(scim_peer, [person(1)])
    backend = scim_peer.backend()
    again = Action("create_user:E00001", "create_user", "E00001")
    (result,) = backend.execute([again], {"E00001": person(1)}, UNITS)
    assert result.ok and result.created_id == ids["E00001"]
    assert len(backend.fetch_snapshot().users) == 1


def test_memberships_of_one_group_can_be_read_on_their_own(scim_peer: Peer) -> None:
    ids = hire(scim_peer, [person(1), person(2)])
    backend = scim_peer.backend()
    backend.execute([Action("o", "create_org_unit", org_unit="bakery")], {}, UNITS)
    joins = [Action(f"j{e}", "add_membership", e, org_unit="bakery") for e in ids]
    assert all(r.ok for r in backend.execute(joins, {}, UNITS))
    group = backend.client.find_by_external_id("/Groups", "bakery")
    assert group is not None
    assert sorted(backend.client.group_members(group["id"])) == sorted(ids.values())
