"""The preflight tells whether a SCIM server takes what the dialect writes: every attribute and
extension URN declared, each missing one named with the dialect setting that maps it; PATCH
and filtering supported; the token accepted; a wrong base path answered with the likely one;
and whether the server fills User.groups, which ``memberships_from: auto`` follows."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest

from reconciler.errors import redact
from reconciler.model import Action, OrgUnit, Person
from reconciler.speakap import preflight
from reconciler.speakap.backend import ScimBackend
from reconciler.speakap.client import RetryPolicy, ScimClient, Secret
from reconciler.speakap.dialect import Dialect
from reconciler.speakap.errors import NotReadyError
from reconciler.speakap.simulator import SimulatorHandle, run_simulator
from tests.scim2_peer import scim2_server
from tests.speakap.conftest import TOKEN, Peer

ONE_TRY = RetryPolicy(attempts=1)
NEWS = OrgUnit(key="news", kind="group", name="News", visibility="public")
ANN = Person(employee_id="E1", given_name="Ann", family_name="Lee", invite_channel="printable")


def client_for(url: str, token: str = TOKEN) -> ScimClient:
    return ScimClient(url, Secret(token), retry=ONE_TRY, rate_limit=None)


def problems(readiness: preflight.Readiness) -> list[str]:
    return [p.text for p in readiness.problems]


def join(backend: ScimBackend) -> None:
    """Ann joins the News group: a first membership on the server."""
    actions = [
        Action("c:news", "create_org_unit", org_unit="news"),
        Action("c:E1", "create_user", "E1"),
    ]
    assert all(r.ok for r in backend.execute(actions, {"E1": ANN}, {"news": NEWS}))
    add = [Action("a:E1", "add_membership", "E1", org_unit="news")]
    assert all(r.ok for r in backend.execute(add, {"E1": ANN}, {"news": NEWS}))


def rewriting_client(
    simulator: SimulatorHandle, endpoint: str, rewrite: Callable[[Any], Any]
) -> ScimClient:
    """A client of a server that answers like the simulator, except that ``endpoint``'s answer
    is what ``rewrite`` makes of the simulator's."""

    def handle(request: httpx.Request) -> httpx.Response:
        forwarded = httpx.get(
            simulator.url + request.url.path.removeprefix("/scim/v2"),
            params=request.url.params,
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        body: Any = forwarded.json()
        if request.url.path.endswith(endpoint):
            body = rewrite(body)
        return httpx.Response(forwarded.status_code, json=body)

    return ScimClient(
        "http://mock/scim/v2", Secret(TOKEN), transport=httpx.MockTransport(handle), retry=ONE_TRY
    )


@pytest.fixture(scope="module")
def bare_scim2_server() -> Iterator[str]:
    """scim2-server with its default RFC 7643 schemas only: no Speakap extension."""
    with scim2_server(TOKEN, extensions=False) as root:
        yield root


def test_the_simulator_is_ready_for_the_default_dialect(simulator: SimulatorHandle) -> None:
    with client_for(simulator.url) as client:
        readiness = preflight.check(client, Dialect())
    assert readiness.ready, problems(readiness)
    texts = [f.text for f in readiness.findings]
    assert any("attributes the dialect writes are declared and writable" in t for t in texts)
    assert readiness.page_cap == 1000 and readiness.etag and readiness.bulk_max_operations == 0


def test_both_peers_with_the_speakap_extensions_are_ready(scim_peer: Peer) -> None:
    with scim_peer.client(retry=ONE_TRY) as client:
        readiness = preflight.check(client, scim_peer.dialect)
    assert readiness.ready, problems(readiness)


def test_a_server_with_only_the_rfc_schemas_is_not_ready_and_each_gap_is_named(
    bare_scim2_server: str,
) -> None:
    url = f"{bare_scim2_server}/t{uuid.uuid4().hex[:12]}/v2"
    with client_for(url) as client:
        readiness = preflight.check(client, Dialect())
    found = problems(readiness)
    assert not readiness.ready and len(found) == 2
    bag, group = sorted(found, key=lambda t: "bag" not in t)
    assert "extension urn:speakap:params:scim:bag is not declared for /Users" in bag
    assert "inviteChannel, login, managedBy" in bag and "dialect setting bag_urn" in bag
    assert "urn:speakap:params:scim:schemas:extension:group:2.0:Group" in group
    assert "kind, parent, visibility" in group and "dialect setting group_urn" in group
    with pytest.raises(NotReadyError, match="2 problem"):
        readiness.raise_if_not_ready()


def test_a_missing_attribute_names_its_setting_and_the_declared_name_it_resembles() -> None:
    served = Dialect(marker_attribute="managed_by")  # the server's bag says managed_by
    with run_simulator(token=TOKEN, dialect=served) as sim, client_for(sim.url) as client:
        readiness = preflight.check(client, Dialect())
        fixed = preflight.check(client, Dialect(marker_attribute="managed_by"))
    assert problems(readiness) == [
        "User attribute urn:speakap:params:scim:bag:managedBy is not declared (the server "
        "declares 'managed_by'); dialect setting marker_attribute maps it"
    ]
    assert fixed.ready


def test_the_employee_number_dialect_needs_the_enterprise_extension() -> None:
    written = preflight.written_attributes(Dialect(employee_id_attribute="employeeNumber"))
    enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    assert any(w.urn == enterprise and w.path == "employeeNumber" for w in written)
    default = preflight.written_attributes(Dialect())
    assert not any(w.urn == enterprise for w in default)
    assert {w.path for w in default if w.resource == "Group"} >= {"displayName", "members"}
    assert all(w.path.split(".")[0] not in ("id", "externalId", "schemas") for w in default)


def test_a_base_url_answering_404_names_the_likely_scim_path(simulator: SimulatorHandle) -> None:
    root = simulator.url.removesuffix("/scim/v2")
    with client_for(root) as client:
        readiness = preflight.check(client, Dialect())
    [problem] = problems(readiness)
    assert "answers 404" in problem and f"{root}/scim/v2 answers SCIM" in problem


def test_a_base_url_answering_a_list_is_no_scim_root_and_one_problem_says_so(
    bare_scim2_server: str,
) -> None:
    """scim2-server with dynamic tenants answers an empty ListResponse at its bare root: that is
    no ServiceProviderConfig, and the check says so once instead of judging the list."""
    with client_for(bare_scim2_server) as client:
        readiness = preflight.check(client, Dialect())
    [problem] = problems(readiness)
    assert "answers with no ServiceProviderConfig" in problem
    assert f"{bare_scim2_server}/scim/v2 answers SCIM" in problem


def test_a_core_schema_missing_from_schemas_is_one_problem_naming_what_is_written(
    simulator: SimulatorHandle,
) -> None:
    core_user = "urn:ietf:params:scim:schemas:core:2.0:User"

    def without_core_user(body: Any) -> Any:
        kept = [r for r in body["Resources"] if r["id"] != core_user]
        return {**body, "Resources": kept, "totalResults": len(kept)}

    with rewriting_client(simulator, "/Schemas", without_core_user) as client:
        readiness = preflight.check(client, Dialect())
    [problem] = problems(readiness)
    assert problem.startswith(f"/Schemas lacks the core {core_user} (written: ")
    assert "userName" in problem and "name.givenName" in problem


def test_a_refused_token_is_a_problem_not_a_traceback(simulator: SimulatorHandle) -> None:
    with client_for(simulator.url, token="not-the-token-at-all") as client:
        readiness = preflight.check(client, Dialect())
    [problem] = problems(readiness)
    assert "refused the credentials" in problem
    assert "not-the-token-at-all" not in problem


def test_a_server_without_patch_or_filtering_is_not_ready(simulator: SimulatorHandle) -> None:
    def unsupported(body: Any) -> Any:
        return {**body, "patch": {"supported": False}, "filter": {"supported": False}}

    with rewriting_client(simulator, "/ServiceProviderConfig", unsupported) as client:
        readiness = preflight.check(client, Dialect())
    assert problems(readiness) == [
        "PATCH not supported (every change is a PATCH)",
        "filtering not supported (every lookup is a filter)",
    ]


def test_auto_reads_memberships_from_user_groups_where_the_server_fills_them(
    simulator: SimulatorHandle,
) -> None:
    with client_for(simulator.url) as client:
        empty = preflight.check(client, Dialect())
    assert empty.memberships_from == "group_members"  # nothing to tell by: the safe choice
    backend = ScimBackend(client_for(simulator.url), Dialect(memberships_from="group_members"))
    join(backend)
    backend.close()
    with client_for(simulator.url) as client:
        filled = preflight.check(client, Dialect())
    assert filled.ready and filled.memberships_from == "user_groups"


def test_auto_reads_memberships_from_the_groups_where_user_groups_stays_empty(
    scim2_server: str,
) -> None:
    url = f"{scim2_server}/t{uuid.uuid4().hex[:12]}/v2"
    backend = ScimBackend(client_for(url), Dialect(memberships_from="group_members"))
    join(backend)
    backend.close()
    with client_for(url) as client:
        auto = preflight.check(client, Dialect())
        forced = preflight.check(client, Dialect(memberships_from="user_groups"))
    assert auto.ready and auto.memberships_from == "group_members"
    assert not forced.ready
    [problem] = problems(forced)
    assert "does not fill User.groups" in problem and "memberships_from: auto" in problem


def test_a_backend_without_the_preflight_resolves_auto_on_its_first_fetch(
    scim2_server: str,
) -> None:
    url = f"{scim2_server}/t{uuid.uuid4().hex[:12]}/v2"
    setup = ScimBackend(client_for(url), Dialect(memberships_from="group_members"))
    join(setup)
    setup.close()
    backend = ScimBackend(client_for(url), Dialect())
    snapshot = backend.fetch_snapshot()
    backend.close()
    assert backend.dialect.memberships_from == "group_members"
    [news] = [g for g in snapshot.groups if g.key == "news"]
    assert len(news.members) == 1  # read from the group, not lost to an empty User.groups


def test_the_findings_never_show_url_credentials(simulator: SimulatorHandle) -> None:
    url = simulator.url.replace("http://", "http://sync:pa55word-secret@")
    with client_for(url) as client:
        readiness = preflight.check(client, Dialect())
    assert "pa55word-secret" not in readiness.url
    assert all("pa55word-secret" not in f.text for f in readiness.findings)
    assert readiness.url == redact(url)


def test_open_ready_backend_refuses_an_unfit_server_and_resolves_auto(
    bare_scim2_server: str, simulator: SimulatorHandle
) -> None:
    from reconciler.speakap.settings import ConnectionSettings, open_ready_backend

    base = ConnectionSettings(base_url=simulator.url, token=Secret(TOKEN), retry=ONE_TRY)
    backend, readiness = open_ready_backend(base)
    backend.close()
    assert readiness.ready and backend.dialect.memberships_from in ("user_groups", "group_members")
    bare = replace(base, base_url=f"{bare_scim2_server}/t{uuid.uuid4().hex[:12]}/v2")
    with pytest.raises(NotReadyError, match="urn:speakap:params:scim:bag"):
        open_ready_backend(bare)
