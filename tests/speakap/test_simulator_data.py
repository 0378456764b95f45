"""The simulator's ``--data`` file: the demo's seed and a state the simulator saved match
``schemas/simulator-data.schema.json`` and load back; a broken seed is refused with one error
naming the file and the field path, also from the command line (no traceback)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.cli import run
from reconciler.demo import SEED as DEMO_SEED
from reconciler.desired.documents import validator
from reconciler.errors import ConfigError
from reconciler.model import Action
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import ScimClient, Secret
from reconciler.speakap.dialect import GROUP_SCHEMA, USER_SCHEMA
from reconciler.speakap.simulator import load_network, run_simulator
from reconciler.speakap.simulator.data import plain_group, plain_user
from tests.reconcile.conftest import person
from tests.speakap.conftest import FAST_RETRY, TOKEN

TEST_SEED = Path(__file__).parent / "data" / "seed-network.json"
ADMIN = {"id": "a1", "userName": "admin@example.com", "active": True}


def errors(document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator("simulator-data").iter_errors(document)
    ]


def write(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_the_demo_seed_written_to_a_file_matches_the_schema_and_loads(tmp_path: Path) -> None:
    path = write(tmp_path / "demo-seed.json", DEMO_SEED)
    assert errors(json.loads(path.read_text())) == []
    network = load_network(path)
    assert set(network.users) == {"admin-1"}
    assert network.settings.offboarding == "anonymize"


def test_the_hand_written_test_seed_matches_the_schema() -> None:
    assert errors(json.loads(TEST_SEED.read_text())) == []


def test_a_saved_state_with_invitations_deleted_and_purged_users_matches_and_reloads(
    tmp_path: Path,
) -> None:
    path = tmp_path / "network.json"
    path.write_bytes(TEST_SEED.read_bytes())
    hires = [
        person("2001", email=None, invite_channel="printable"),
        person("2002", invite_channel="email"),
    ]
    with run_simulator(token=TOKEN, data=path) as sim:
        backend = ScimBackend(ScimClient(sim.url, Secret(sim.token), retry=FAST_RETRY))
        creates = [Action(f"c:{p.employee_id}", "create_user", p.employee_id) for p in hires]
        assert all(r.ok for r in backend.execute(creates, {p.employee_id: p for p in hires}, {}))
        gone = Action("d1", "delete_user", "1002", user_id="u-1002")
        assert backend.execute([gone], {}, {})[0].ok
        sim.advance_clock(days=31)  # 1002 is purged
        later = Action("d2", "delete_user", "1001", user_id="u-1001")
        assert backend.execute([later], {}, {})[0].ok  # 1001 is inside its grace period
        backend.close()
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert errors(saved) == []
    assert len(saved["deleted"]) == 1 and len(saved["purged"]) == 1
    assert {i["channel"] for i in saved["invitations"]} == {"printable", "email"}
    reloaded = load_network(path).dump()
    for key in ("network", "users", "deleted", "purged", "invitations"):
        assert reloaded[key] == saved[key], key
    members = {g["id"]: {m["value"] for m in g.get("members", ())} for g in saved["groups"]}
    assert {g["id"]: {m["value"] for m in g.get("members", ())} for g in reloaded["groups"]} == (
        members
    )  # the members' $ref follow the URL the simulator serves on


BROKEN: list[tuple[str, Any, str, str | None]] = [
    (
        "a user without userName",
        {"users": [ADMIN, {"id": "u2", "active": True}]},
        "'userName' is a required property",
        "users[1]",
    ),
    (
        "an unknown offboarding mode",
        {"network": {"offboarding": "archive"}},
        "'archive' is not one of ['delete', 'anonymize']",
        "network.offboarding",
    ),
    (
        "a misspelt top-level key",
        {"user": [ADMIN]},
        "Additional properties are not allowed ('user' was unexpected)",
        None,
    ),
    (
        "a string for a boolean",
        {"users": [{**ADMIN, "active": "yes"}]},
        "'yes' is not of type 'boolean'",
        "users[0].active",
    ),
    (
        "a meta version that is no ETag",
        {"users": [{**ADMIN, "meta": {"version": "1"}}]},
        "'1' does not match '^W/\"[0-9]+\"$'",
        "users[0].meta.version",
    ),
    (
        "a group member without a value",
        {"users": [ADMIN], "groups": [{"displayName": "All", "members": [{"id": "a1"}]}]},
        "'value' is a required property",
        "groups[0].members[0]",
    ),
    (
        "a member listed before it exists",
        {"groups": [{"displayName": "All", "members": [{"value": "nobody"}]}]},
        "invalid simulator data: member nobody does not exist",
        None,
    ),
]


@pytest.mark.parametrize(
    ("document", "message", "field"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_a_broken_seed_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, document: Any, message: str, field: str | None
) -> None:
    path = write(tmp_path / "seed.json", document)
    with pytest.raises(ConfigError) as caught:
        load_network(path)
    assert caught.value.file == str(path)
    assert message in caught.value.message
    assert caught.value.field == field


def test_a_seed_that_is_not_json_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "seed.json"
    path.write_text('{\n  "users": [\n    {"userName": "a",}\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_network(path)
    assert (caught.value.file, caught.value.line) == (str(path), 3)
    assert str(caught.value).startswith(f"{path}:3: not valid JSON")


def test_the_simulator_command_refuses_a_broken_seed_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SPEAKAP_TOKEN", "cli-token")
    monkeypatch.delenv("SPEAKAP_TOKEN_FILE", raising=False)
    path = write(tmp_path / "seed.json", {"users": [ADMIN, {"id": "u2"}]})
    assert run(["simulator", "--data", str(path), "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"error: {path}: invalid simulator data: 'userName' is a required property "
        "(field 'users[1]')\n"
    )


# -- the fast check never lets through what the schema refuses ------------------------------

_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=3),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=2), st.integers(), max_size=2),
)
_GONE = object()  # a mutation that removes the key


def _mutated(valid: st.SearchStrategy[dict[str, Any]], edges: dict[str, list[Any]]) -> Any:
    """A valid resource, half of the time with one key set to junk, an edge value, or gone."""
    keys = sorted(edges)
    value = st.one_of(_JUNK, st.just(_GONE))
    mutation = st.one_of(
        st.none(),
        st.tuples(st.sampled_from(keys), value),
        st.sampled_from(keys).flatmap(lambda k: st.tuples(st.just(k), st.sampled_from(edges[k]))),
    )

    def apply(pair: tuple[dict[str, Any], tuple[str, Any] | None]) -> dict[str, Any]:
        resource, change = pair
        if change is not None:
            key, new = change
            if new is _GONE:
                resource.pop(key, None)
            else:
                resource[key] = new
        return resource

    return st.tuples(valid, mutation).map(apply)


_MULTI = st.lists(
    st.fixed_dictionaries(
        {}, optional={"value": st.just("x@y.nl"), "type": st.just("work"), "primary": st.booleans()}
    ),
    max_size=2,
)
_META = st.fixed_dictionaries(
    {"version": st.sampled_from(['W/"1"', 'W/"12"'])},
    optional={"resourceType": st.just("User"), "created": st.just("2026-01-01T00:00:00+00:00")},
)
_COMMON = {
    "id": st.just("r1"),
    "externalId": st.just("1001"),
    "meta": _META,
    "urn:speakap:params:scim:bag": st.just({"managedBy": "speakap-sync"}),
}
_COMMON_EDGES: dict[str, list[Any]] = {
    "id": [""],
    "meta": [{"version": "1"}, {"version": 'W/""'}, {"version": 'W/"1"', "resourceType": "X"}],
    "urn:speakap:params:scim:bag": [[], "bag"],
    "nickName": ["Jo"],  # an attribute the fast check does not know
}
_USERS = _mutated(
    st.fixed_dictionaries(
        {"userName": st.sampled_from(["a@b.nl", "x"])},
        optional={
            **_COMMON,
            "schemas": st.just([USER_SCHEMA]),
            "active": st.booleans(),
            "name": st.just({"givenName": "A"}),
            "title": st.just("Clerk"),
            "emails": _MULTI,
            "phoneNumbers": _MULTI,
            "groups": st.just([]),
        },
    ),
    {
        **_COMMON_EDGES,
        "userName": [" ", "", "\t\n"],
        "schemas": [[GROUP_SCHEMA], [USER_SCHEMA, 1], []],
        "active": [1, "true"],
        "emails": [[{"value": 1}], [{"primary": "yes"}], ["x"]],
        "groups": [{}],
    },
)
_MEMBER = st.fixed_dictionaries(
    {"value": st.just("a1")},
    optional={"type": st.sampled_from(["User", "Group"]), "display": st.just("A")},
)
_GROUPS = _mutated(
    st.fixed_dictionaries(
        {"displayName": st.sampled_from(["All", ""])},
        optional={
            **_COMMON,
            "schemas": st.just([GROUP_SCHEMA]),
            "members": st.lists(_MEMBER, max_size=2),
        },
    ),
    {
        **_COMMON_EDGES,
        "schemas": [[USER_SCHEMA]],
        "members": [
            [{"value": "a1", "type": "Robot"}],
            [{"value": "a1", "extra": 1}],
            [{"type": "User"}],
            [{"value": 5}],
        ],
    },
)


@settings(max_examples=300, deadline=None)
@given(user=_USERS)
def test_a_user_the_fast_check_accepts_is_one_the_schema_accepts(user: dict[str, Any]) -> None:
    if plain_user(user):
        assert errors({"users": [user]}) == []


@settings(max_examples=300, deadline=None)
@given(group=_GROUPS)
def test_a_group_the_fast_check_accepts_is_one_the_schema_accepts(group: dict[str, Any]) -> None:
    if plain_group(group):
        assert errors({"groups": [group]}) == []


def test_the_fast_check_accepts_the_resources_the_simulator_saves(tmp_path: Path) -> None:
    saved = load_network(TEST_SEED).dump()
    assert saved["users"] and all(plain_user(u) for u in saved["users"])
    assert saved["groups"] and all(plain_group(g) for g in saved["groups"])
