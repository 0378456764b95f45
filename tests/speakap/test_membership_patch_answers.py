"""A membership PATCH asks the server to leave the group's member list out of its answer
(``excludedAttributes=members``), and both servers honour it: a big group's members do not
travel back on every call."""

from __future__ import annotations

import json

import httpx

from reconciler.model import Action, OrgUnit, Person
from reconciler.speakap.simulator import SimulatorHandle
from tests.speakap.conftest import TOKEN, Peer


class _Recording(httpx.HTTPTransport):
    """The real transport, keeping every PATCH request and its answer."""

    def __init__(self) -> None:
        super().__init__()
        self.patches: list[tuple[httpx.Request, dict[str, object]]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = super().handle_request(request)
        if request.method == "PATCH":
            response.read()
            body = json.loads(response.content) if response.content else {}
            self.patches.append((request, body))
        return response


def _people(n: int) -> dict[str, Person]:
    return {
        f"E{i}": Person(
            employee_id=f"E{i}",
            given_name="Ann",
            family_name=f"Member{i}",
            invite_channel="printable",
        )
        for i in range(n)
    }


def test_membership_patches_leave_the_member_list_out_of_the_answer(scim_peer: Peer) -> None:
    transport = _Recording()
    backend = scim_peer.backend(transport=transport)
    unit = OrgUnit(key="news", kind="group", name="News", visibility="public")
    people = _people(5)
    creates = [Action("cu:news", "create_org_unit", org_unit="news")]
    creates += [Action(f"c:{e}", "create_user", e) for e in people]
    adds = [Action(f"a:{e}", "add_membership", e, org_unit="news") for e in people]
    try:
        assert all(r.ok for r in backend.execute(creates, people, {"news": unit}))
        assert all(r.ok for r in backend.execute(adds, people, {"news": unit}))
    finally:
        backend.close()
    member_patches = [(r, b) for r, b in transport.patches if "/Groups/" in r.url.path]
    assert member_patches, "no membership PATCH was sent"
    for request, answer in member_patches:
        assert request.url.params.get("excludedAttributes") == "members"
        assert "members" not in answer


def test_the_simulator_returns_members_unless_they_are_excluded(
    simulator: SimulatorHandle,
) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
    with httpx.Client(base_url=simulator.url, headers=headers) as http:
        user = http.post(
            "/Users",
            json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "u1"},
        ).json()
        group = http.post(
            "/Groups",
            json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "G"},
        ).json()
        add = {
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "add", "path": "members", "value": [{"value": user["id"]}]}],
        }
        plain = http.patch(f"/Groups/{group['id']}", json=add).json()
        lean = http.patch(
            f"/Groups/{group['id']}", params={"excludedAttributes": "members"}, json=add
        ).json()
    assert [m["value"] for m in plain["members"]] == [user["id"]]
    assert "members" not in lean
    assert lean["displayName"] == "G"
