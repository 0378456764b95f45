"""plan.md (the pull-request comment) and the job summary: the summary always whole, then the
people per business unit, folded, as many as the size limit leaves room for.

1. The headline (counts, no hashes) and links to the CI run and the plan artifact.
2. A blocked plan's guards in a caution box, one line each.
3. The totals, then every safety guard with its numbers.
4. The leavers by name, for good first: all of them up to a cap, then a count.
5. One table row per business unit with changes, riskiest first. Past the row cap (or the
   room) the units with the fewest changes are folded into one row and named below the table,
   grouped by their counts; the text says so.
6. Per business unit a folded ``<details>`` with its people, filled in risk order (every
   unit's leavers before anyone's joiners, the units in turn) until the room is used, each
   saying "showing K of N"; the units left without room are counted.
7. The desired-state commit, and where the full plan is.

Parts 1-5 are the summary; they are sized first and fit any plan. The limit is counted in
characters for a comment and in UTF-8 bytes for the job summary, as GitHub counts them.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from reconciler.atomic import atomic_write
from reconciler.gitops.github import MARKER, MAX_BODY, PLAN_ARTIFACT, STEP_SUMMARY_LIMIT
from reconciler.model import OFFBOARD_KINDS, Action
from reconciler.reconcile.guards import GuardResult
from reconciler.reconcile.plan import Plan
from reconciler.reconcile.views import mdtext
from reconciler.reconcile.views.changes import (
    RISK,
    PersonChanges,
    UnitChanges,
    changes_of,
)
from reconciler.reconcile.views.describe import (
    ADOPTED,
    CATEGORIES,
    CAUSE_LABELS,
    CORRECTED,
    GUARD_LABELS,
    JOINING,
    LEAVING,
    NO_CHANGES,
    UPDATED,
    VERB,
    Markup,
    ViewOptions,
    describe,
    drift_lines,
    guard_line,
    guard_verdict,
    membership_changes,
    partial_line,
    plan_title,
    plural,
    shared_logins_line,
    undeclared_line,
)

FILENAME = "plan.md"
STEP_SUMMARY = "step-summary.md"
# plan.md is posted whole: the sticky comment's marker line is added to it within MAX_BODY.
COMMENT_LIMIT = MAX_BODY - len(MARKER) - 1
MAX_UNIT_ROWS = 300  # table rows per 65,536 characters of limit; the rest are folded
MAX_LEAVERS = 200  # leavers named per 65,536 characters of limit; the rest are counted
MAX_NAME = 80  # characters of a name or key shown in the summary
MEMBERSHIP_KINDS = frozenset({"add_membership", "remove_membership"})


def _bold(text: str) -> str:
    return f"**{text}**"


MARKDOWN = Markup(value=mdtext.code, verb=_bold, text=mdtext.text)
Measure = Callable[[str], int]


def _utf8(text: str) -> int:
    return len(text.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class PlanMarkdown:
    """Writes ``filename`` into ``out_dir``: at most ``limit`` characters (``in_bytes``: UTF-8
    bytes), the summary whole whatever the plan's size."""

    out_dir: Path
    limit: int = COMMENT_LIMIT
    filename: str = FILENAME
    in_bytes: bool = False

    @property
    def path(self) -> Path:
        return self.out_dir / self.filename

    def write(self, plan: Plan, options: ViewOptions) -> None:
        measure = _utf8 if self.in_bytes else len
        atomic_write(self.path, _Layout(plan, options, self.limit, measure).render())


def step_summary(out_dir: Path) -> PlanMarkdown:
    """``step-summary.md``: the same Markdown within the job summary's 1 MiB (``github
    step-summary`` appends it to ``$GITHUB_STEP_SUMMARY``)."""
    return PlanMarkdown(out_dir, STEP_SUMMARY_LIMIT, STEP_SUMMARY, in_bytes=True)


def render_markdown(
    plan: Plan,
    *,
    show_pii: bool = False,
    limit: int = COMMENT_LIMIT,
    names: Mapping[str, str] | None = None,
    org_names: Mapping[str, str] | None = None,
    run_url: str | None = None,
    in_bytes: bool = False,
) -> str:
    """The text of ``plan.md``; ``names`` puts a name beside each employee id, ``org_names``
    a name on each org-unit key, ``run_url`` links the CI run and its artifact."""
    options = ViewOptions(show_pii, names or {}, org_names or {}, run_url)
    return _Layout(plan, options, limit, _utf8 if in_bytes else len).render()


def _clip(text: str, most: int = MAX_NAME) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _n(count: int) -> str:
    return f"{count:,}"


class _Layout:
    """One rendering of a plan within ``limit`` (see the module's parts)."""

    def __init__(self, plan: Plan, options: ViewOptions, limit: int, measure: Measure) -> None:
        self.plan = plan
        self.options = options
        self.limit = limit
        self.size = measure
        self.scale = max(1, limit // MAX_BODY)
        self.changes = changes_of(plan, options)
        totals = self.changes.totals
        self.columns = [c for c in CATEGORIES if c != ADOPTED or totals[ADOPTED]]

    def render(self) -> str:
        head, foot = self._head(), self._foot()
        if not self.plan.actions:
            return _fit(head + NO_CHANGES + "\n\n" + foot, self.limit, self.size)
        room = self.limit - self.size(head) - self.size(foot)
        leavers = self._leavers(room // 4)
        units = self._units(room - self.size(leavers))
        details = self._details(room - self.size(leavers) - self.size(units))
        return _fit(head + leavers + units + details + foot, self.limit, self.size)

    # -- 1-3: headline, blocked guards, totals, guards ---------------------------------------

    def _head(self) -> str:
        plan, totals = self.plan, self.changes.totals
        title = plan_title(plan, self.changes.headline())
        lines = [f"## {title}", "", self._links(), ""]
        lines += _partial(plan)
        lines += self._alerts()
        header = ["people", *self.columns, "blocked"]
        counts = [_n(self.changes.people), *(_n(totals[c]) for c in self.columns)]
        counts.append("**yes**" if plan.blocked else "no")
        lines += [_row(header), _rule(["---:"] * (len(header) - 1) + [":---:"]), _row(counts), ""]
        lines += [self._others(), ""]
        lines += _corrected(plan)
        if plan.undeclared_org_units:
            lines += [undeclared_line(plan.undeclared_org_units[:10], MARKDOWN), ""]
        if plan.shared_logins:
            lines += [f"**{shared_logins_line(plan.shared_logins, MARKDOWN)}**", ""]
        lines += self._guards()
        return "\n".join(lines) + "\n"

    def _links(self) -> str:
        url = self.options.run_url
        if not url:
            return "The full plan: `plan.html` (every action, searchable) and `plan.json`."
        return (
            f"[CI run]({url}) · the full plan: `plan.html` (every action, searchable) and "
            f"`plan.json` in the [`{PLAN_ARTIFACT}` artifact]({url}#artifacts)"
        )

    def _alerts(self) -> list[str]:
        blocking = [g for g in self.plan.guards if g.blocked]
        overridden = [g for g in self.plan.guards if g.overridden]
        lines: list[str] = []
        if blocking:
            lines += ["> [!CAUTION]", "> **Blocked by a safety guard: nothing will be applied.**"]
            lines += [f"> - {guard_line(g, partial=self.plan.partial)}" for g in blocking]
            lines += [
                ">",
                "> When the change is intended, plan again with `--allow-mass-changes` (in the "
                "plan workflow: the pull-request label `speakap-sync:allow-mass-changes`).",
                "",
            ]
        if overridden:
            lines += ["> [!WARNING]", "> **Safety guard overridden** with `--allow-mass-changes`:"]
            lines += [f"> - {guard_line(g, partial=self.plan.partial)}" for g in overridden]
            lines += [""]
        return lines

    def _others(self) -> str:
        """The counts beside the people's: org units, memberships, managed and unmanaged users
        (a count of zero left out, but for the users)."""
        plan, counts = self.plan, self.plan.counts()
        said = []
        if counts["adopt_user"]:
            said.append(f"{_n(counts['adopt_user'])} adopted")
        if counts["create_org_unit"]:
            said.append(plural(counts["create_org_unit"], "new org unit"))
        if counts["update_org_unit"]:
            said.append(f"{plural(counts['update_org_unit'], 'org unit')} changed")
        added, removed = counts["add_membership"], counts["remove_membership"]
        if added or removed:
            said.append(f"{plural(added, 'membership')} added, {_n(removed)} removed")
        said.append(
            f"{plural(plan.managed_users, 'managed user')}, "
            f"{_n(plan.unmanaged_users)} unmanaged (never touched)"
        )
        if plan.protected_skipped:
            said.append(f"{plural(len(plan.protected_skipped), 'protected account')} kept")
        if plan.first_run:
            said.append("first run: no last-applied state, no membership removed")
        overlap = self.changes.overlap_note()
        if overlap:
            said.append(overlap)
        return " · ".join(said)

    def _guards(self) -> list[str]:
        lines = [
            "**Safety guards**",
            "",
            _row(["guard", "changes", "share of managed users", "limit", "result"]),
            _rule(["---", "---:", "---:", "---:", "---"]),
        ]
        for guard in self.plan.guards:
            name = f"{GUARD_LABELS.get(guard.name, guard.name)} ({mdtext.code(guard.name)})"
            if guard.name == "empty_desired":
                lines.append(_row([name, "", "", "", _verdict(guard)]))
                continue
            selected = " selected" if self.plan.partial else ""
            share = f"{guard.percent:.1f}% of {_n(guard.managed)}{selected}"
            limit = f"{guard.threshold_percent:g}% ({_n(guard.limit)})"
            lines.append(_row([name, _n(guard.count), share, limit, _verdict(guard)]))
        return [*lines, ""]

    # -- 4: leavers -----------------------------------------------------------------------------

    def _leavers(self, room: int) -> str:
        """Grouped by what happens to them (for good first), then by business unit, one line
        per unit naming its leavers; names up to the cap and the room, the rest counted."""
        leavers = self.changes.leavers()
        if not leavers:
            return ""
        for_good = sum(1 for p in leavers if p.for_good)
        gone = f", {_n(for_good)} of them for good (deleted or anonymized)" if for_good else ""
        text = f"### Leaving: {plural(len(leavers), 'person')}{gone}\n\n"
        room -= self.size(text) + 300  # the closing count
        groups: dict[tuple[str, str], dict[str, list[PersonChanges]]] = {}
        for person in leavers:
            offboard = next(a for a in person.actions if a.kind in OFFBOARD_KINDS)
            group = groups.setdefault((offboard.kind, offboard.reason), {})
            group.setdefault(person.unit, []).append(person)
        units = {u.key: u.name for u in self.changes.units}
        named = 0
        cap = MAX_LEAVERS * self.scale
        for (kind, reason), per_unit in groups.items():
            total = sum(len(people) for people in per_unit.values())
            why = f" — {mdtext.text(reason)}" if reason else ""
            block = f"**{VERB[kind].capitalize()}**{why} ({_n(total)}):\n\n"
            if self.size(text) + self.size(block) > room or named >= cap:
                break
            text += block
            for unit, people in per_unit.items():
                line, shown = self._leaver_line(
                    units[unit], people, cap - named, room - self.size(text)
                )
                if not shown:
                    break
                text += line
                named += shown
            text += "\n"
        if named < len(leavers):
            text += (
                f"… and {plural(len(leavers) - named, 'more person')} leaving, not named here for "
                "room: every one is in `plan.html`, and in the details per business unit below "
                "as room allows.\n\n"
            )
        return text

    def _leaver_line(
        self, unit: str, people: list[PersonChanges], most: int, room: int
    ) -> tuple[str, int]:
        """``- **Store 1** (3): Jan `E1`, Piet `E2`, … (1 more)`` and how many it names."""
        line = f"- **{mdtext.text(_clip(unit))}** ({_n(len(people))}): "
        names: list[str] = []
        used = self.size(line) + 40  # the line's end: "… (N more)"
        for person in people[:most]:
            said = mdtext.code(person.employee_id)
            if person.name:
                said = f"{mdtext.text(_clip(person.name))} {said}"
            used += self.size(said) + 2
            if used > room:
                break
            names.append(said)
        if not names:
            return "", 0
        rest = len(people) - len(names)
        end = f", … ({_n(rest)} more)" if rest else ""
        return f"{line}{', '.join(names)}{end}\n", len(names)

    # -- 5: one row per business unit ---------------------------------------------------------

    def _units(self, room: int) -> str:
        units = self.changes.units
        head = [
            f"### Changes per business unit: {plural(len(units), 'unit')}",
            "",
            _row(["business unit", *self.columns]),
            _rule(["---"] + ["---:"] * len(self.columns)),
        ]
        rows = [self._unit_row(u) for u in units]
        total = self._sum_row("**all**", units) if len(units) > 1 else ""
        shown = min(len(units), MAX_UNIT_ROWS * self.scale)
        while True:
            folded = units[shown:]
            table = "\n".join(head) + "\n" + "".join(rows[:shown])
            if folded:
                table += self._sum_row(f"**{plural(len(folded), 'more unit')}** (below)", folded)
            table += total + "\n"
            rest = room - self.size(table)
            listed = self._folded(folded, rest) if folded else ""
            if self.size(listed) <= rest or shown == 0:
                return table + listed
            shown = shown * 3 // 4 if shown > 8 else shown - 1

    def _unit_row(self, unit: UnitChanges) -> str:
        key = "" if unit.name == unit.key else " " + mdtext.code(_clip(unit.key), in_table=True)
        return _row([mdtext.text(_clip(unit.name)) + key, *self._counts(unit.counts)]) + "\n"

    def _sum_row(self, label: str, units: tuple[UnitChanges, ...]) -> str:
        summed = {c: sum(u.counts[c] for u in units) for c in CATEGORIES}
        return _row([label, *self._counts(summed)]) + "\n"

    def _counts(self, counts: Mapping[str, int]) -> list[str]:
        cells = []
        for column in self.columns:
            n = counts[column]
            cells.append("·" if not n else f"**{_n(n)}**" if column == LEAVING else _n(n))
        return cells

    def _folded(self, units: tuple[UnitChanges, ...], room: int) -> str:
        """The folded units by name, grouped by their counts; when even that does not fit
        ``room``, as many as fit and a count of the rest."""
        groups: dict[str, list[UnitChanges]] = {}
        for unit in units:
            groups.setdefault(unit.tally(), []).append(unit)
        text = (
            f"The table shows the {plural(len(self.changes.units) - len(units), 'unit')} with "
            f"the most changes (leavers first); the other {_n(len(units))}, with fewer changes, "
            "are folded into one row. They are, by their changes:\n\n"
        )
        named = 0
        for tally, members in groups.items():
            names = sorted((_clip(u.name) for u in members), key=str.casefold)
            line = f"- {tally} ({_n(len(members))}): " + ", ".join(map(mdtext.text, names))
            if self.size(text) + self.size(line) + 160 > room:
                cut = [
                    mdtext.text(n) for n in _fitting(names, room - self.size(text) - 160, self.size)
                ]
                if cut:
                    text += f"- {tally} ({_n(len(members))}): " + ", ".join(cut) + " …\n"
                    named += len(cut)
                text += (
                    f"\n… and {plural(len(units) - named, 'more unit')} not named here for room: "
                    "each is in `plan.html`.\n"
                )
                return text + "\n"
            text += line + "\n"
            named += len(members)
        return text + "\n"

    # -- 6: details per business unit ---------------------------------------------------------

    def _details(self, room: int) -> str:
        sections = self._sections()
        head = "### People per business unit\n\n"
        room -= self.size(head) + 300  # the closing note
        chosen: dict[int, list[str]] = {}
        closed: set[int] = set()
        used = 0
        misses = 0
        for _, index, position in _in_risk_order(sections):
            if index in closed:
                continue
            section = sections[index]
            line = section.line(position)
            cost = self.size(line) + (0 if index in chosen else section.frame(self.size))
            if used + cost > room:
                closed.add(index)
                misses += 1
                if misses > 50 or room - used < 100:
                    break
                continue
            chosen.setdefault(index, []).append(line)
            used += cost
        text = head
        for index, section in enumerate(sections):
            if index in chosen:
                text += section.render(chosen[index])
        left = [s for i, s in enumerate(sections) if i not in chosen]
        if left:
            people = sum(s.total for s in left)
            text += (
                f"_No room here for the details of {plural(len(left), 'more section')} "
                f"({plural(people, 'more line')}): every action is in `plan.html`._\n\n"
            )
        return text

    def _sections(self) -> list[_Section]:
        sections = []
        if self.changes.org_units:
            sections.append(_Section.of_org_units(self.changes.org_units, self.options))
        for unit in self.changes.units:
            sections.append(_Section.of_unit(unit, self.options))
        return sections

    # -- 7: the foot -------------------------------------------------------------------------

    def _foot(self) -> str:
        commit = self.plan.desired_commit
        state = f"commit {mdtext.code(commit[:12])}" if commit else "uncommitted changes"
        return f"---\n<sub>Desired state: {state} · made by speakap-sync</sub>\n"


@dataclass(frozen=True, slots=True)
class _Section:
    """A folded section of details: a business unit's people, or the org units."""

    title: str  # raw HTML, escaped
    tally: str
    total: int
    ranks: tuple[int, ...]  # each line's risk rank
    lines: Callable[[int], str]

    @classmethod
    def of_unit(cls, unit: UnitChanges, options: ViewOptions) -> _Section:
        key = "" if unit.name == unit.key else f" ({mdtext.html(_clip(unit.key))})"
        title = f"<b>{mdtext.html(_clip(unit.name))}</b>{key}"
        ranks = tuple(RISK.index(p.category) for p in unit.people)
        return cls(
            title,
            unit.tally(),
            unit.size,
            ranks,
            lambda i: _person_line(unit.people[i], options),
        )

    @classmethod
    def of_org_units(cls, actions: tuple[Action, ...], options: ViewOptions) -> _Section:
        updates = sum(1 for a in actions if a.kind == "update_org_unit")
        said = [f"{_n(updates)} changed"] if updates else []
        if len(actions) > updates:
            said.append(f"{_n(len(actions) - updates)} new")
        ordered = sorted(actions, key=lambda a: (a.kind != "update_org_unit", str(a.org_unit)))
        ranks = tuple(
            RISK.index(UPDATED if a.kind == "update_org_unit" else JOINING) for a in ordered
        )
        return cls(
            "<b>Org units</b>",
            ", ".join(said),
            len(actions),
            ranks,
            lambda i: _org_unit_line(ordered[i], options),
        )

    def line(self, index: int) -> str:
        return self.lines(index)

    def frame(self, size: Measure) -> int:
        """The size of the section around its lines (a generous count of "showing K")."""
        return size(self.render([])) + 16

    def render(self, lines: list[str]) -> str:
        """The section; one cut short for room ends with a line saying so, where the reader
        of the list looks (``frame`` counts that line in)."""
        shown = f"showing {_n(len(lines))} of {_n(self.total)}"
        rest = self.total - len(lines)
        end = (
            f"- _… and {_n(rest)} more, not shown here for room: see `plan.html`_\n" if rest else ""
        )
        return (
            f"<details><summary>{self.title} — {self.tally} · {shown}</summary>\n\n"
            + "".join(lines)
            + (end if rest else "")
            + "\n</details>\n\n"
        )


def _in_risk_order(sections: list[_Section]) -> Iterator[tuple[tuple[int, int, int], int, int]]:
    """Every line of every section as (priority, section, line): by risk rank, then the
    sections in turn (each one's first line of that rank, then each one's second…)."""

    def lines(index: int, section: _Section) -> Iterator[tuple[tuple[int, int, int], int, int]]:
        seen: dict[int, int] = {}
        for position, rank in enumerate(section.ranks):
            turn = seen.get(rank, 0)
            seen[rank] = turn + 1
            yield (rank, turn, index), index, position

    return heapq.merge(*(lines(i, s) for i, s in enumerate(sections)))


def _person_line(person: PersonChanges, options: ViewOptions) -> str:
    """``- **Jan de Vries** `E1` — **update** phone …; memberships +Store 02 −Store 01``."""
    who = mdtext.code(person.employee_id)
    if person.name:
        who = f"**{mdtext.text(_clip(person.name))}** {who}"
    parts = [
        describe(a, options, MARKDOWN) for a in person.actions if a.kind not in MEMBERSHIP_KINDS
    ]
    memberships = membership_changes(person.actions, options, MARKDOWN)
    if memberships:
        parts.append(f"memberships {memberships}")
    # a suspension for scope says its skip rule in its reason: no second "out of scope"
    causes = sorted({a.cause for a in person.actions if a.cause != "scope" or not a.reason})
    causes = [c for c in causes if c != "hr"]
    if causes:
        parts.append("_cause: " + ", ".join(CAUSE_LABELS[c] for c in causes) + "_")
    return f"- {who} — " + "; ".join(parts) + "\n"


def _org_unit_line(action: Action, options: ViewOptions) -> str:
    name = options.org_name(action.org_unit)
    who = mdtext.code(str(action.org_unit))
    if action.kind == "update_org_unit" and name != action.org_unit:
        who = f"**{mdtext.text(_clip(name))}** {who}"
    return f"- {who} — {describe(action, options, MARKDOWN)}\n"


def _verdict(guard: GuardResult) -> str:
    said = guard_verdict(guard)
    if guard.blocked:
        return f":no_entry: **{said}**"
    return f":warning: {said}" if guard.overridden else said


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def _rule(aligns: list[str]) -> str:
    return "| " + " | ".join(aligns) + " |"


def _fitting(names: list[str], room: int, size: Measure) -> list[str]:
    kept: list[str] = []
    used = 0
    for name in names:
        used += size(mdtext.text(name)) + 2
        if used > room:
            break
        kept.append(name)
    return kept


def _fit(text: str, limit: int, size: Measure) -> str:
    """``text`` whole when it fits ``limit``; else (a limit too small for the summary) cut at a
    line, with every ``<details>`` closed and a note."""
    if size(text) <= limit:
        return text
    note = "\n_Cut here to fit the size limit: the full plan is in `plan.html`._\n"
    kept: list[str] = []
    used = size(note) + size("</details>\n") * 2
    for line in text.splitlines(keepends=True):
        used += size(line)
        if used > limit:
            break
        kept.append(line)
    cut = "".join(kept)
    if cut.count("<details>") > cut.count("</details>"):
        cut += "\n</details>\n"
    return cut + note


# -- drift: Speakap changed by hand, put back (a section of its own) --------------------------


def _corrected(plan: Plan) -> list[str]:
    """``**Corrected in Speakap** (changed by hand, not by HR): 1 membership removed by hand →
    restored``, apart from the HR changes; nothing when there is no drift."""
    lines = drift_lines(plan)
    if not lines:
        return []
    said = "; ".join(mdtext.text(line) for line in lines)
    return [f"**{CORRECTED}** (changed by hand, not by HR): {said}", ""]


# -- a partial plan (--only): said first ---------------------------------------------------------


def _partial(plan: Plan) -> list[str]:
    said = partial_line(plan)
    return ["> [!NOTE]", f"> **{mdtext.text(said)}**", ""] if said else []
