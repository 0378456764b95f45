"""Safety guards: stop a plan that would change too much of the network at once.

Like octoDNS's thresholds: a guard compares the number of changes of one family with the
number of *managed* users, and only applies once the network has at least ``min_managed`` of
them (a share of a tiny network means nothing). An empty desired state facing managed users is
always suspicious (a truncated or empty HR export) and has its own guard.

Guards return values; the CLI turns a blocked result into exit code 3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from reconciler.model import OFFBOARD_KINDS, Thresholds

UPDATE_KINDS = ("update_user",)


@dataclass(frozen=True, slots=True)
class GuardResult:
    """One guard's verdict. ``limit`` is the largest count that would still pass."""

    name: str
    count: int
    managed: int
    threshold_percent: float
    min_managed: int
    tripped: bool
    overridden: bool = False

    @property
    def blocked(self) -> bool:
        return self.tripped and not self.overridden

    @property
    def percent(self) -> float:
        return 100.0 * self.count / self.managed if self.managed else 0.0

    @property
    def limit(self) -> int:
        return int(self.managed * self.threshold_percent / 100.0)

    def message(self) -> str:
        if self.name == "empty_desired":
            verdict = "the desired state has no people but the network has managed users"
            return f"guard 'empty_desired': {verdict} ({self.managed} managed)"
        what = _WHAT[self.name]
        head = (
            f"guard '{self.name}': {self.count:,} {what} = {self.percent:.1f}% of "
            f"{self.managed:,} managed users (limit {self.threshold_percent:g}%, {self.limit:,})"
        )
        if not self.tripped:
            return head + ", ok"
        return f"{head}, over by {self.count - self.limit:,} users"


_WHAT = {"offboard": "suspensions and deletions", "updates": "profile updates"}


def evaluate(
    counts: Mapping[str, int],
    *,
    managed: int,
    desired_people: int,
    thresholds: Thresholds,
    allow_mass_changes: bool = False,
) -> tuple[GuardResult, ...]:
    """Evaluate every guard for a plan with ``counts`` actions per kind."""
    offboard = sum(counts.get(k, 0) for k in OFFBOARD_KINDS)
    updates = sum(counts.get(k, 0) for k in UPDATE_KINDS)
    active = managed >= thresholds.min_managed
    results = [
        _share("offboard", offboard, managed, thresholds.max_offboard_percent, thresholds, active),
        _share("updates", updates, managed, thresholds.max_update_percent, thresholds, active),
        GuardResult(
            name="empty_desired",
            count=managed if desired_people == 0 else 0,
            managed=managed,
            threshold_percent=0.0,
            min_managed=1,
            tripped=desired_people == 0 and managed > 0,
        ),
    ]
    if allow_mass_changes:
        results = [_override(r) for r in results]
    return tuple(results)


def _share(
    name: str,
    count: int,
    managed: int,
    percent: float,
    thresholds: Thresholds,
    active: bool,
) -> GuardResult:
    tripped = active and managed > 0 and 100.0 * count / managed > percent
    return GuardResult(
        name=name,
        count=count,
        managed=managed,
        threshold_percent=percent,
        min_managed=thresholds.min_managed,
        tripped=tripped,
    )


def _override(result: GuardResult) -> GuardResult:
    return GuardResult(
        name=result.name,
        count=result.count,
        managed=result.managed,
        threshold_percent=result.threshold_percent,
        min_managed=result.min_managed,
        tripped=result.tripped,
        overridden=result.tripped,
    )


def blocked_message(results: tuple[GuardResult, ...]) -> str | None:
    """One line naming every blocking guard and by how much, or None when nothing blocks."""
    blocking = [r.message() for r in results if r.blocked]
    if not blocking:
        return None
    return (
        "plan blocked by a safety guard: "
        + "; ".join(blocking)
        + (" (use --allow-mass-changes to override)")
    )
