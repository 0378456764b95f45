"""plan.html: the full plan for a human, one self-contained page holding every action.

The page is the summary (headline, totals, guards) set as HTML here, then every person and org
unit with actions, grouped by business unit and, within a unit, by category (riskiest first),
with a search box and filters (unit, kind, cause, employee). Everything the page lists is one
JSON document inside the page, drawn by a small script a page at a time, so a plan of a whole
network opens in a browser in seconds.

Safety, whatever the data says:
- every text from data is escaped for where it lands: HTML entities in the static part; in the
  JSON, ``<``, ``>``, ``&`` and the JavaScript line separators are ``\\u`` escapes, so nothing
  in a value can close the ``<script>`` holding it; the script only ever sets ``textContent``;
- a Content-Security-Policy allows this page's own style and script (by hash) and nothing else:
  no network fetch, no other script, even if an escape were missed;
- emails and phones are masked as in plan.md unless ``--show-pii``.

The data: ``people`` rows ``[unit, id, name, categories (bit mask), actions]``, where ``id`` is
an employee id (an org-unit key in the org units' pseudo-unit, which comes first) and each
action is ``[kind, cause, said]`` (``said``: what ``describe`` says, or for a membership the
index of its org unit in ``orgs``), with the action's id as a fourth item only when it is not
the one the page derives (``kind:id`` or ``kind:id:org key``, as ``plan.py`` makes them).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from reconciler.atomic import atomic_write
from reconciler.model import ACTION_CAUSES, ACTION_KINDS, Action
from reconciler.reconcile.guards import GuardResult
from reconciler.reconcile.plan import Plan
from reconciler.reconcile.views.changes import RISK, Changes, changes_of
from reconciler.reconcile.views.describe import (
    CATEGORIES,
    CAUSE_LABELS,
    CORRECTED,
    GUARD_LABELS,
    ViewOptions,
    describe,
    drift_lines,
    guard_line,
    guard_verdict,
    partial_line,
    plan_title,
    plural,
    shared_logins_line,
)

FILENAME = "plan.html"
KIND_LABELS = {
    "create_org_unit": "create org unit",
    "update_org_unit": "change org unit",
    "create_user": "join (create account)",
    "adopt_user": "adopt account",
    "recover_user": "recover account",
    "update_user": "update profile",
    "add_membership": "add membership",
    "remove_membership": "remove membership",
    "suspend_user": "suspend",
    "reactivate_user": "reactivate",
    "delete_user": "delete",
    "anonymize_user": "anonymize",
}
MEMBERSHIP_KINDS = frozenset({"add_membership", "remove_membership"})
ORG_UNITS = "Org units"
_KIND_INDEX: dict[str, int] = {kind: i for i, kind in enumerate(ACTION_KINDS)}
_CAUSE_INDEX: dict[str, int] = {cause: i for i, cause in enumerate(ACTION_CAUSES)}
_CATEGORY_BIT = {category: 1 << i for i, category in enumerate(RISK)}


@dataclass(frozen=True, slots=True)
class PlanHtml:
    """Writes ``plan.html`` into ``out_dir``: every action, masked as ``options`` say."""

    out_dir: Path

    @property
    def path(self) -> Path:
        return self.out_dir / FILENAME

    def write(self, plan: Plan, options: ViewOptions) -> None:
        atomic_write(self.path, render_html(plan, options))


def render_html(plan: Plan, options: ViewOptions | None = None) -> str:
    """The text of ``plan.html``."""
    options = options or ViewOptions()
    changes = changes_of(plan, options)
    data = page_data(plan, changes, options)
    style = _asset("plan.css")
    script = _asset("plan.js")
    policy = (
        "default-src 'none'; "
        f"style-src '{_sha256(style)}'; script-src '{_sha256(script)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    return _PAGE.format(
        policy=html.escape(policy),
        title=html.escape(_headline(plan, changes)),
        style=style,
        summary=_summary(plan, changes, options),
        data=script_json(data),
        script=script,
    )


def page_data(plan: Plan, changes: Changes, options: ViewOptions) -> dict[str, Any]:
    """What the page's script lists (see the module)."""
    orgs: dict[str, int] = {}
    units: list[dict[str, Any]] = []
    people: list[list[Any]] = []
    if changes.org_units:
        units.append({"key": "", "name": ORG_UNITS, "tally": _org_tally(changes.org_units)})
        for action in sorted(changes.org_units, key=lambda a: str(a.org_unit)):
            key = str(action.org_unit)
            category = "updated" if action.kind == "update_org_unit" else "joining"
            name = options.org_name(key)
            row = [0, key, "" if name == key else name, _CATEGORY_BIT[category]]
            people.append([*row, [_action(action, key, options, orgs)]])
    for unit in changes.units:
        index = len(units)
        units.append({"key": unit.key, "name": unit.name, "tally": unit.tally()})
        for person in unit.people:
            mask = sum(_CATEGORY_BIT[c] for c in person.categories)
            said = [_action(a, person.employee_id, options, orgs) for a in person.actions]
            people.append([index, person.employee_id, person.name, mask, said])
    return {
        "units": units,
        "people": people,
        "orgs": [[key, options.org_name(key)] for key in orgs],
        "kinds": list(ACTION_KINDS),
        "kindLabels": [KIND_LABELS.get(k, k) for k in ACTION_KINDS],
        "membershipKinds": sorted(_KIND_INDEX[k] for k in MEMBERSHIP_KINDS),
        "categories": list(RISK),
        "causes": list(ACTION_CAUSES),
        "causeLabels": [CAUSE_LABELS[c] for c in ACTION_CAUSES],
        "actions": len(plan.actions),
    }


def action_ids(data: dict[str, Any]) -> list[str]:
    """Every action id in ``page_data``'s document, derived as the page's script does."""
    ids = []
    members = set(data["membershipKinds"])
    for row in data["people"]:
        for action in row[4]:
            kind = data["kinds"][action[0]]
            if len(action) > 3:
                ids.append(action[3])
            elif action[0] in members:
                ids.append(f"{kind}:{row[1]}:{data['orgs'][action[2]][0]}")
            else:
                ids.append(f"{kind}:{row[1]}")
    return ids


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in _SCRIPT_ESCAPES:
        text = text.replace(char, escape)
    return text


_SCRIPT_ESCAPES = (
    ("<", "\\u003c"),
    (">", "\\u003e"),
    ("&", "\\u0026"),
    ("\u2028", "\\u2028"),
    ("\u2029", "\\u2029"),
)


def _action(action: Action, who: str, options: ViewOptions, orgs: dict[str, int]) -> list[Any]:
    kind = _KIND_INDEX[action.kind]
    cause = _CAUSE_INDEX[action.cause]
    if action.kind in MEMBERSHIP_KINDS:
        key = str(action.org_unit)
        said: list[Any] = [kind, cause, orgs.setdefault(key, len(orgs))]
        derived = f"{action.kind}:{who}:{key}"
    else:
        said = [kind, cause, describe(action, options)]
        derived = f"{action.kind}:{who}"
    if action.id != derived:
        said.append(action.id)
    return said


def _org_tally(actions: tuple[Action, ...]) -> str:
    changed = sum(1 for a in actions if a.kind == "update_org_unit")
    said = [f"{changed:,} changed"] if changed else []
    if len(actions) > changed:
        said.append(f"{len(actions) - changed:,} new")
    return ", ".join(said)


def _headline(plan: Plan, changes: Changes) -> str:
    return plan_title(plan, changes.headline())


def _guard_alert(kind: str, said: str, guards: list[GuardResult], partial: bool) -> str:
    """An alert box of class ``kind``: ``said`` in bold over one line per guard."""
    items = "".join(f"<li>{html.escape(guard_line(g, partial=partial))}</li>" for g in guards)
    return f'<div class="alert {kind}"><strong>{said}</strong><ul>{items}</ul></div>'


def _summary(plan: Plan, changes: Changes, options: ViewOptions) -> str:
    """The static part: headline, alerts, totals, guards, where the plan comes from."""
    e = html.escape
    parts = [f"<h1>{e(_headline(plan, changes))}</h1>"]
    partial = partial_line(plan)
    if partial:
        parts.append(f'<div class="alert partial"><strong>{e(partial)}</strong></div>')
    blocking = [g for g in plan.guards if g.blocked]
    if blocking:
        said = "Blocked by a safety guard: nothing will be applied."
        parts.append(_guard_alert("blocked", said, blocking, plan.partial))
    overridden = [g for g in plan.guards if g.overridden]
    if overridden:
        said = "Safety guard overridden with --allow-mass-changes."
        parts.append(_guard_alert("overridden", said, overridden, plan.partial))
    corrected = drift_lines(plan)
    if corrected:
        said = e("; ".join(corrected))
        parts.append(f"<p><strong>{CORRECTED}</strong> (changed by hand, not by HR): {said}</p>")
    if plan.shared_logins:
        said = e(shared_logins_line(plan.shared_logins))
        parts.append(f'<div class="alert warning"><strong>{said}</strong></div>')
    columns = [c for c in CATEGORIES if c != "adopted" or changes.totals[c]]
    head = "".join(f"<th>{e(c)}</th>" for c in ["people", *columns, "actions"])
    cells = [changes.people, *(changes.totals[c] for c in columns), len(plan.actions)]
    row = "".join(f"<td>{n:,}</td>" for n in cells)
    parts.append(f'<table class="totals"><tr>{head}</tr><tr>{row}</tr></table>')
    selected = " selected" if plan.partial else ""
    guards = "".join(
        f"<tr><td>{e(GUARD_LABELS.get(g.name, g.name))}</td><td>{g.count:,}</td>"
        f"<td>{g.percent:.1f}% of {g.managed:,}{selected}</td>"
        f"<td>{g.threshold_percent:g}% ({g.limit:,})</td>"
        f'<td class="{"bad" if g.blocked else "ok"}">{e(guard_verdict(g))}</td></tr>'
        for g in plan.guards
        if g.name != "empty_desired" or g.tripped
    )
    parts.append(
        '<table class="guards"><tr><th>safety guard</th><th>changes</th>'
        f"<th>share of managed users</th><th>limit</th><th>result</th></tr>{guards}</table>"
    )
    commit = plan.desired_commit[:12] if plan.desired_commit else "uncommitted changes"
    masked = (
        "Emails and phone numbers are shown in full (--show-pii)."
        if options.show_pii
        else "Emails and phone numbers are masked."
    )
    overlap = f" · {e(changes.overlap_note())}" if changes.overlap_note() else ""
    parts.append(
        f'<p class="meta">{plural(len(plan.actions), "action")} for '
        f"{plural(changes.people, 'person')} in {plural(len(changes.units), 'business unit')}"
        f" · {plural(plan.managed_users, 'managed user')}, {plan.unmanaged_users:,} unmanaged "
        f"(never touched){overlap} · desired state: {e(commit)} · {e(masked)}</p>"
    )
    if options.run_url:
        parts.append(f'<p class="meta"><a href="{e(options.run_url)}">CI run</a></p>')
    return "\n".join(parts)


def _asset(name: str) -> str:
    return (resources.files(__package__) / "assets" / name).read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header>
{summary}
</header>
<noscript><p class="alert">The list of actions needs JavaScript; the summary above is whole,
and plan.json holds every action.</p></noscript>
<nav id="controls" hidden>
<input id="search" type="search" placeholder="Search names, ids, values…  ( / )"
 aria-label="Search">
<select id="unit" aria-label="Business unit"></select>
<select id="kind" aria-label="Kind"></select>
<select id="cause" aria-label="Cause"></select>
<input id="employee" type="search" placeholder="Employee id or name" aria-label="Employee">
<label><input id="ids" type="checkbox"> action ids</label>
<span id="status" role="status"></span>
</nav>
<main id="units"></main>
<script id="plan-data" type="application/json">{data}</script>
<script>{script}</script>
</body>
</html>
"""
