"""plan.json as one of the plan's outputs; the codec itself is ``reconcile.plan_json``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from reconciler.reconcile import plan_json
from reconciler.reconcile.plan import Plan
from reconciler.reconcile.views.describe import ViewOptions


@dataclass(frozen=True, slots=True)
class PlanJson:
    """Writes ``plan.json`` into ``out_dir``: every action, unmasked, for ``apply --plan``
    (the reader's options do not apply to the machine plan)."""

    out_dir: Path

    @property
    def path(self) -> Path:
        return self.out_dir / plan_json.FILENAME

    def write(self, plan: Plan, options: ViewOptions) -> None:
        plan_json.write_plan_json(plan, self.path)
