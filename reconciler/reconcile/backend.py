"""The narrow interface between the reconciler and a live Speakap network.

The plan and apply stages see only this protocol; they never build an HTTP request.
``reconciler.speakap`` implements it over SCIM 2.0 (against Speakap, the embedded simulator
or any SCIM server).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from reconciler.model import Action, ActionResult, LiveSnapshot, OrgUnit, Person


class Backend(Protocol):
    def fetch_snapshot(self) -> LiveSnapshot:
        """Read every user, every group and every membership of the network."""
        ...

    def execute(
        self,
        actions: Sequence[Action],
        people: dict[str, Person],
        org_units: dict[str, OrgUnit],
    ) -> list[ActionResult]:
        """Carry out actions of one kind; one result per action, in order.

        Membership actions passed together for the same org unit are sent as one batched
        PATCH (at most the configured batch size). ``people`` and ``org_units`` give the full
        desired values that create/update actions need. The backend resolves employee ids and
        org keys to live ids itself, including ids of objects created earlier in the same apply.
        Failures of single actions are results with ``ok=False``; authentication failures raise.
        """
        ...
