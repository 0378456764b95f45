"""The simulator serves list pages from encodings it keeps per resource and projection: the
bytes are those of encoding the whole page anew, and every write that changes what a resource
shows (its own fields and version, its groups, a group's name) is seen on the next page."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from reconciler.speakap.simulator import SimulatorHandle, load_network, run_simulator
from reconciler.speakap.simulator.server import _project
from tests.speakap.conftest import TOKEN
from tests.speakap.test_simulator import SEED

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def http(sim: SimulatorHandle) -> httpx.Client:
    return httpx.Client(base_url=sim.url, headers={"Authorization": f"Bearer {TOKEN}"})


def page(client: httpx.Client, endpoint: str, **params: str) -> dict[str, Any]:
    answer = client.get(endpoint, params=params)
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["userName"]: r for r in body["Resources"]}


@pytest.mark.parametrize(
    "params",
    [{}, {"attributes": "userName,groups"}, {"excludedAttributes": "groups,meta"}],
    ids=["whole", "attributes", "excludedAttributes"],
)
def test_a_page_is_byte_for_byte_the_encoding_of_the_whole_answer(params: dict[str, str]) -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim, http(sim) as client:
        for _ in range(2):  # encoded, then joined from what was kept
            raw = client.get("/Users", params={**params, "startIndex": "2", "count": "3"})
            total, resources = sim.network.search("Users", None, 2, 3)
            whole = {
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                "totalResults": total,
                "startIndex": 2,
                "itemsPerPage": len(resources),
                "Resources": [_project(r, params) for r in resources],
            }
            assert raw.content == json.dumps(whole).encode()


def test_a_patched_user_is_listed_with_its_new_fields_and_version() -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim, http(sim) as client:
        before = by_name(page(client, "/Users"))["jan.devries@versmarkt.example"]
        chef = {"op": "replace", "path": "title", "value": "Chef"}
        patch = {"schemas": [PATCH], "Operations": [chef]}
        assert client.patch(f"/Users/{before['id']}", json=patch).status_code == 200
        after = by_name(page(client, "/Users"))["jan.devries@versmarkt.example"]
        assert after["title"] == "Chef"
        assert after["meta"]["version"] != before["meta"]["version"]
        projected = by_name(page(client, "/Users", attributes="userName,title"))
        assert projected["jan.devries@versmarkt.example"]["title"] == "Chef"


def test_membership_changes_and_a_renamed_group_show_in_the_users_groups() -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim, http(sim) as client:
        users = by_name(page(client, "/Users"))
        admin = users["admin@versmarkt.example"]
        club = next(
            g for g in page(client, "/Groups")["Resources"] if g["externalId"] == "social-club"
        )
        assert club["id"] not in {g["value"] for g in admin.get("groups", [])}
        add = {
            "schemas": [PATCH],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": admin["id"]}]}],
        }
        assert client.patch(f"/Groups/{club['id']}", json=add).status_code == 200
        admin = by_name(page(client, "/Users"))["admin@versmarkt.example"]
        shown = {g["value"]: g["display"] for g in admin["groups"]}
        assert shown[club["id"]] == club["displayName"]
        rename = {
            "schemas": [PATCH],
            "Operations": [{"op": "replace", "path": "displayName", "value": "Social Club"}],
        }
        assert client.patch(f"/Groups/{club['id']}", json=rename).status_code == 200
        for user in page(client, "/Users")["Resources"]:
            for group in user.get("groups", []):
                if group["value"] == club["id"]:
                    assert group["display"] == "Social Club"
        remove = {
            "schemas": [PATCH],
            "Operations": [{"op": "remove", "path": f'members[value eq "{admin["id"]}"]'}],
        }
        assert client.patch(f"/Groups/{club['id']}", json=remove).status_code == 200
        admin = by_name(page(client, "/Users"))["admin@versmarkt.example"]
        assert club["id"] not in {g["value"] for g in admin.get("groups", [])}


def test_a_deleted_user_leaves_the_pages_and_a_recovered_one_comes_back() -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim, http(sim) as client:
        jan = by_name(page(client, "/Users"))["jan.devries@versmarkt.example"]
        assert client.delete(f"/Users/{jan['id']}").status_code == 204
        assert "jan.devries@versmarkt.example" not in by_name(page(client, "/Users"))
        assert client.post(f"/DeletedUsers/{jan['id']}/recover").status_code == 200
        back = by_name(page(client, "/Users"))["jan.devries@versmarkt.example"]
        assert {g["value"] for g in back["groups"]} == {g["value"] for g in jan["groups"]}
        assert back["meta"]["version"] != jan["meta"]["version"]


def test_a_created_user_is_listed_and_projections_are_kept_apart() -> None:
    with run_simulator(token=TOKEN, network=load_network(SEED)) as sim, http(sim) as client:
        page(client, "/Users")
        page(client, "/Users", attributes="userName")
        body = {"schemas": [USER_SCHEMA], "userName": "new@versmarkt.example", "title": "Baker"}
        assert client.post("/Users", json=body).status_code == 201
        whole = by_name(page(client, "/Users"))
        assert whole["new@versmarkt.example"]["title"] == "Baker"
        narrow = by_name(page(client, "/Users", attributes="userName"))
        assert set(narrow["new@versmarkt.example"]) == {"id", "schemas", "meta", "userName"}
        assert all("title" not in user for user in narrow.values())
