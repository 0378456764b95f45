"""The simulator passes scim2-tester's checks for every feature it announces.

Announced (ServiceProviderConfig): patch, filter (maxResults = max page size), etag; not bulk,
sort or changePassword, which scim2-tester then does not check. docs/speakap-dialect.md lists
the tags.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from scim2_client.client import BaseSyncSCIMClient
from scim2_tester import Status, check_server

from reconciler.speakap.simulator import SimulatorHandle
from tests.speakap.conftest import TOKEN

EXPECTED_TAGS = {
    "discovery",
    "service-provider-config",
    "resource-types",
    "schemas",
    "crud:create",
    "crud:read",
    "crud:read:attributes",
    "crud:update",
    "crud:delete",
    "patch:add",
    "patch:remove",
    "patch:replace",
    "misc",
}


class HttpxScimClient(BaseSyncSCIMClient):
    """scim2-client's engine interface over httpx (its bundled engine needs httpx2)."""

    def __init__(self, client: httpx.Client, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.client = client

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self.client.request(method, url, **kwargs)


def test_the_simulator_passes_scim2_tester(simulator: SimulatorHandle) -> None:
    with httpx.Client(base_url=simulator.url, headers={"Authorization": f"Bearer {TOKEN}"}) as http:
        results = check_server(HttpxScimClient(http))
    failures = [f"{r.title}: {r.reason}" for r in results if r.status != Status.SUCCESS]
    assert failures == []
    assert Counter(r.status for r in results)[Status.SUCCESS] >= 100
    ran = {tag for r in results for tag in r.tags}
    assert ran >= EXPECTED_TAGS
    # scim2-tester created and deleted its own resources: nothing is left behind.
    assert simulator.network.users == {} and simulator.network.groups == {}
