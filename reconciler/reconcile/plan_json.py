"""plan.json, the machine plan: the codec between a ``Plan`` and its schema'd JSON document.

``apply --plan`` reads this file back as the reviewed plan, so reading validates it against
``schemas/plan.schema.json`` and an error names the file and the field. The actions (a day 0
holds tens of thousands) are checked by a check compiled from the schema's ``actions.items``,
which accepts only what the schema accepts; when it refuses one, jsonschema checks the whole
document and names the first error, as it would alone. Writing is atomic. The human views
(plan.md, the terminal) are in ``reconcile.views``. Nothing here sees the token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

# re-exported: reconcile/run.py writes apply's summary.json with plan_json.atomic_write
from reconciler.atomic import atomic_write as atomic_write
from reconciler.desired.documents import load_schema, validator
from reconciler.desired.schema_check import Check, compile_check
from reconciler.errors import ConfigError
from reconciler.model import Action
from reconciler.reconcile.guards import GuardResult
from reconciler.reconcile.plan import Plan

FORMAT_VERSION = 1
FILENAME = "plan.json"


def plan_to_json(plan: Plan) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "desired_commit": plan.desired_commit,
        "live_fingerprint": plan.live_fingerprint,
        "first_run": plan.first_run,
        "allow_mass_changes": plan.allow_mass_changes,
        "blocked": plan.blocked,
        "managed_users": plan.managed_users,
        "unmanaged_users": plan.unmanaged_users,
        "desired_people": plan.desired_people,
        "counts": plan.counts(),
        "causes": plan.causes(),
        "guards": [_guard_json(g) for g in plan.guards],
        "protected_skipped": list(plan.protected_skipped),
        "undeclared_org_units": len(plan.undeclared_org_units),
        "undeclared_org_unit_keys": list(plan.undeclared_org_units),
        "left_deleted": list(plan.left_deleted),
        "shared_logins": [list(group) for group in plan.shared_logins],
        "partial": {"selectors": list(plan.only), "people": plan.only_people}
        if plan.partial
        else None,
        "actions": [_action_json(a, plan.business_units) for a in plan.actions],
    }


def plan_from_json(data: Mapping[str, Any]) -> Plan:
    """The inverse of ``plan_to_json`` (for an already validated document)."""
    actions = tuple(
        Action(
            id=row["id"],
            kind=row["kind"],
            employee_id=row.get("employee_id"),
            org_unit=row.get("org_unit"),
            user_id=row.get("user_id"),
            group_id=row.get("group_id"),
            before=row.get("before"),
            after=row.get("after"),
            reason=row.get("reason", ""),
            cause=row.get("cause", "hr"),
        )
        for row in data["actions"]
    )
    units = {
        row["employee_id"]: row["business_unit"]
        for row in data["actions"]
        if row.get("employee_id") and row.get("business_unit")
    }
    guards = tuple(
        GuardResult(
            name=g["name"],
            count=g["count"],
            managed=g["managed"],
            threshold_percent=g["threshold_percent"],
            min_managed=g["min_managed"],
            tripped=g["tripped"],
            overridden=g["overridden"],
        )
        for g in data["guards"]
    )
    return Plan(
        actions=actions,
        guards=guards,
        live_fingerprint=data["live_fingerprint"],
        managed_users=data["managed_users"],
        unmanaged_users=data["unmanaged_users"],
        desired_people=data["desired_people"],
        first_run=data["first_run"],
        allow_mass_changes=data["allow_mass_changes"],
        desired_commit=data["desired_commit"],
        business_units=units,
        protected_skipped=tuple(data["protected_skipped"]),
        undeclared_org_units=tuple(data.get("undeclared_org_unit_keys", ())),
        left_deleted=tuple(data.get("left_deleted", ())),
        shared_logins=tuple(tuple(group) for group in data.get("shared_logins", ())),
        only=tuple((data.get("partial") or {}).get("selectors", ())),
        only_people=(data.get("partial") or {}).get("people", 0),
    )


def dumps(plan: Plan) -> str:
    """The text of ``plan.json``."""
    return json.dumps(plan_to_json(plan), indent=1, sort_keys=False) + "\n"


def write_plan_json(plan: Plan, path: Path) -> Path:
    """Write the plan's JSON document to ``path`` atomically; returns ``path``."""
    atomic_write(path, dumps(plan))
    return path


def read_plan(path: Path) -> Plan:
    """Read and validate a ``plan.json``; errors name the file and the offending field."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError("plan file not found", file=path) from err
    except IsADirectoryError as err:
        raise ConfigError("a folder, not a plan.json file", file=path) from err
    except OSError as err:
        raise ConfigError(f"cannot read the plan file ({err.strerror})", file=path) from err
    except UnicodeDecodeError as err:
        raise ConfigError(
            "not a plan.json: not UTF-8 text (a zipped artifact? unzip it first)", file=path
        ) from err
    except json.JSONDecodeError as err:
        raise ConfigError(f"not valid JSON: {err.msg}", file=path, line=err.lineno) from err
    if not _quickly_valid(data):
        errors = sorted(validator("plan").iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            first = errors[0]
            where = "/".join(str(p) for p in first.absolute_path) or None
            raise ConfigError(f"not a valid plan: {first.message}", file=path, field=where)
    return plan_from_json(data)


def _quickly_valid(data: Any) -> bool:
    """True when ``data`` is surely a valid plan: every action passes the compiled check of the
    schema's action item and the rest (the actions left out) passes jsonschema. False says
    nothing: the caller then lets jsonschema judge the whole document."""
    check = _action_check()
    if check is None or not isinstance(data, dict) or not isinstance(data.get("actions"), list):
        return False
    if not all(map(check, data["actions"])):
        return False
    return validator("plan").is_valid({**data, "actions": []})


@cache
def _action_check() -> Check | None:
    """The compiled check of ``actions.items`` in plan.schema.json (None when the schema uses a
    keyword ``schema_check`` does not know)."""
    items = load_schema("plan").get("properties", {}).get("actions", {}).get("items")
    return compile_check(items) if isinstance(items, dict) else None


def validate_json(data: Mapping[str, Any]) -> list[str]:
    """Schema errors of a plan document, as readable strings (empty when valid)."""
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
        for e in validator("plan").iter_errors(data)
    ]


def _guard_json(guard: GuardResult) -> dict[str, Any]:
    return {
        "name": guard.name,
        "count": guard.count,
        "managed": guard.managed,
        "threshold_percent": guard.threshold_percent,
        "min_managed": guard.min_managed,
        "tripped": guard.tripped,
        "overridden": guard.overridden,
        "blocked": guard.blocked,
        "message": guard.message(),
    }


def _action_json(action: Action, units: Mapping[str, str]) -> dict[str, Any]:
    return {
        "id": action.id,
        "kind": action.kind,
        "employee_id": action.employee_id,
        "org_unit": action.org_unit,
        "user_id": action.user_id,
        "group_id": action.group_id,
        "business_unit": units.get(action.employee_id or ""),
        "before": dict(action.before) if action.before is not None else None,
        "after": dict(action.after) if action.after is not None else None,
        "reason": action.reason,
        "cause": action.cause,
    }
