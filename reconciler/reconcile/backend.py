"""The narrow interface between the reconciler and a live Speakap network.

The plan and apply stages see only this protocol; they never build an HTTP request.
``reconciler.speakap`` implements it over SCIM 2.0 (against Speakap, the embedded simulator
or any SCIM server).

Apply decides the order of work (phases, parents before children) and how much runs at once;
the backend decides which actions travel together (:meth:`Backend.batches`), because it knows
the server's limits (members per PATCH, SCIM Bulk's ``maxOperations``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from reconciler.model import Action, ActionResult, LiveSnapshot, OrgUnit, Person


class Backend(Protocol):
    def fetch_snapshot(self) -> LiveSnapshot:
        """Read every user, every group and every membership of the network."""
        ...

    def batches(self, actions: Sequence[Action]) -> list[list[Action]]:
        """Split independent actions into the units this backend carries out together.

        Every action is in exactly one batch, in its original order within the batch. Apply
        passes each batch to :meth:`execute` on its own and journals it as soon as it returns.
        """
        ...

    def execute(
        self,
        actions: Sequence[Action],
        people: dict[str, Person],
        org_units: dict[str, OrgUnit],
    ) -> list[ActionResult]:
        """Carry out actions; one result per action, in order, made by
        ``Action.result`` (so it carries the action's kind and employee id); a ``create_user``
        result also names the login the account is made with.

        The actions are split as :meth:`batches` splits them (a batch from it runs as one
        request where the server allows). ``people`` and ``org_units`` give the full desired
        values that create/update actions need. The backend resolves employee ids and org keys
        to live ids itself, including ids of objects created earlier in the same apply.
        Failures of single actions are results with ``ok=False``; authentication failures raise.
        """
        ...
