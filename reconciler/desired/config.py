"""The hand-written configuration in desired-state/: source, org units, rules and policy.

Each file is loaded and validated by its JSON Schema (``desired.documents``), then parsed into
typed values and checked for references (a rule that names an undeclared org unit, a parent
that does not exist). Every error names the file, the line and the field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ruamel.yaml.scalarint import ScalarInt

from reconciler.desired.documents import line_of, load_text
from reconciler.desired.template import Template, TemplateError, parse_template
from reconciler.errors import ConfigError
from reconciler.model import Notifications, OrgKind, OrgUnit, Policy, Thresholds

SOURCE_FILE = "source.yaml"
ORG_UNITS_FILE = "org-units.yaml"
RULES_FILE = "rules.yaml"
POLICY_FILE = "policy.yaml"
SPEAKAP_FILE = "speakap.yaml"  # the connection settings (read by reconciler.speakap.settings)
CONFIG_FILES = (SOURCE_FILE, ORG_UNITS_FILE, RULES_FILE, POLICY_FILE)

_NUMBER = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")  # ASCII digits: other digits are text
UNIT_TARGETS: dict[str, OrgKind] = {
    "business_unit": "business_unit",
    "department": "department",
    "local_department": "local_department",
}


# --- values ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceConfig:
    columns: Mapping[str, str]  # canonical field -> HR column header
    extra: Mapping[str, str] = field(default_factory=dict)  # rule field -> HR column header
    format: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    json_key: str | None = None
    date_formats: tuple[str, ...] = ("%d-%m-%Y",)
    phone_region: str = "NL"
    default_language: str | None = None
    user_shards: int = 256
    split_infix: bool = False  # "van der Berg" in the family-name column -> infix + family name
    employee_id_pattern: re.Pattern[str] | None = None  # None: no whitespace (render/ids.py)

    def field_columns(self) -> dict[str, str]:
        """Every field a row carries (canonical and extra) -> its HR column header."""
        return {**self.columns, **self.extra}


@dataclass(frozen=True, slots=True)
class UnitRef:
    """A literal org-unit key, or a lookup of the unit whose hr_codes hold a field's value."""

    key: str | None = None
    lookup: str | None = None
    optional: bool = False


@dataclass(frozen=True, slots=True)
class Condition:
    op: str  # equals in regex gt gte lt lte present missing all any not
    field: str | None = None
    value: Any = None
    pattern: re.Pattern[str] | None = None
    children: tuple[Condition, ...] = ()
    texts: frozenset[str] = frozenset()  # equals/in: the wanted values as text
    numbers: frozenset[float] = frozenset()  # equals/in: the wanted values that are numbers


@dataclass(frozen=True, slots=True)
class Rule:
    """One mapping rule. ``skip``: a row it fires on is out of scope (never rendered)."""

    name: str
    line: int | None
    when: Condition | None = None
    units: Mapping[str, UnitRef] = field(default_factory=dict)  # target -> ref
    job_title: Template | None = None
    language: str | None = None
    add_groups: tuple[UnitRef, ...] = ()
    stop: bool = False
    description: str = ""
    skip: bool = False


@dataclass(frozen=True, slots=True)
class Config:
    """Everything render needs besides the HR rows and the previous state."""

    source: SourceConfig
    org_units: tuple[OrgUnit, ...]
    codes: Mapping[tuple[OrgKind, str], tuple[OrgUnit, ...]]  # (kind, HR code) -> units
    rules: tuple[Rule, ...]
    policy: Policy
    units_by_key: Mapping[str, OrgUnit] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "units_by_key", {u.key: u for u in self.org_units})


# --- loading ---------------------------------------------------------------------------------


def load_config(state_dir: Path) -> Config:
    source_doc = _load(state_dir, SOURCE_FILE, "source")
    source = parse_source(source_doc, str(state_dir / SOURCE_FILE))
    check_date_formats(source_doc, str(state_dir / SOURCE_FILE))
    org_file = str(state_dir / ORG_UNITS_FILE)
    units_doc = _load(state_dir, ORG_UNITS_FILE, "org-units")
    org_units = parse_org_units(units_doc, org_file)
    rules_file = str(state_dir / RULES_FILE)
    rules_doc = _load(state_dir, RULES_FILE, "rules")
    rules = parse_rules(rules_doc, rules_file)
    policy = parse_policy(_load(state_dir, POLICY_FILE, "policy"))
    check_rules(rules, org_units, source, rules_file, rules_doc)
    return Config(
        source=source,
        org_units=org_units,
        codes=code_index(units_doc),
        rules=rules,
        policy=policy,
    )


def _load(state_dir: Path, name: str, schema: str) -> Any:
    path = state_dir / name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=path) from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"not UTF-8 ({err.reason})", file=path) from None
    return load_text(text, str(path), schema)


def default_language(state_dir: Path) -> str | None:
    """The network's default language: ``default_language`` of source.yaml (None without one,
    or without a source.yaml)."""
    if not (state_dir / SOURCE_FILE).is_file():
        return None
    return parse_source(_load(state_dir, SOURCE_FILE, "source")).default_language


def parse_source(doc: Mapping[str, Any], file: str = SOURCE_FILE) -> SourceConfig:
    output = doc.get("output") or {}
    pattern = None
    if "employee_id_pattern" in doc:
        try:  # ASCII: \d is 0-9, so an id of other digits never passes for a number
            pattern = re.compile(str(doc["employee_id_pattern"]), re.ASCII)
        except re.error as err:
            raise ConfigError(
                f"invalid regex: {err}",
                file=file,
                line=line_of(doc, ["employee_id_pattern"]),
                field="employee_id_pattern",
            ) from None
    return SourceConfig(
        columns={str(k): str(v) for k, v in doc["columns"].items()},
        extra={str(k): str(v) for k, v in (doc.get("extra") or {}).items()},
        format=doc.get("format"),
        encoding=doc.get("encoding"),
        delimiter=doc.get("delimiter"),
        sheet=doc.get("sheet"),
        json_key=doc.get("json_key"),
        date_formats=tuple(str(f) for f in doc.get("date_formats", ("%d-%m-%Y",))),
        phone_region=str(doc.get("phone_region", "NL")),
        default_language=doc.get("default_language"),
        user_shards=int(output.get("user_shards", 256)),
        split_infix=bool(doc.get("split_infix", False)),
        employee_id_pattern=pattern,
    )


def check_date_formats(doc: Mapping[str, Any], file: str) -> None:
    """Every date format is one strptime can use: a typo (``%Q``, a stray ``%``) would
    otherwise only show as every row's date being invalid."""
    sample = datetime(2001, 2, 3, 4, 5, 6, tzinfo=UTC)
    for index, fmt in enumerate(doc.get("date_formats") or ()):
        try:
            datetime.strptime(sample.strftime(str(fmt)), str(fmt))
        except ValueError as err:
            raise ConfigError(
                f"date format {str(fmt)!r} is not usable: {err}",
                file=file,
                line=line_of(doc, ["date_formats", index]),
                field="date_formats",
            ) from None


def parse_policy(doc: Mapping[str, Any]) -> Policy:
    defaults = Policy()
    thresholds = doc.get("thresholds") or {}
    base = Thresholds()
    return Policy(
        grace_days=int(doc.get("grace_days", defaults.grace_days)),
        offboarding=doc.get("offboarding", defaults.offboarding),
        invite_channels=tuple(doc.get("invite_channels", defaults.invite_channels)),
        protected=tuple(str(p) for p in doc.get("protected", ())),
        thresholds=Thresholds(
            max_offboard_percent=float(
                thresholds.get("max_offboard_percent", base.max_offboard_percent)
            ),
            max_update_percent=float(thresholds.get("max_update_percent", base.max_update_percent)),
            min_managed=int(thresholds.get("min_managed", base.min_managed)),
        ),
        duplicates=doc.get("duplicates", defaults.duplicates),
        create_org_units=bool(doc.get("create_org_units", defaults.create_org_units)),
        allow_without_business_unit=bool(
            doc.get("allow_without_business_unit", defaults.allow_without_business_unit)
        ),
        recreate_deleted=bool(doc.get("recreate_deleted", defaults.recreate_deleted)),
        invite_recipients=tuple(
            str(r) for r in (doc.get("invite_sheets") or {}).get("recipients", ())
        ),
        notifications=_notifications(doc.get("notifications")),
        contacts_in_git=bool(doc.get("contacts_in_git", defaults.contacts_in_git)),
    )


def _notifications(doc: Mapping[str, Any] | None) -> Notifications | None:
    if doc is None:
        return None
    base = Notifications()
    return Notifications(
        webhook_env=str(doc.get("webhook_env", base.webhook_env)),
        format=doc.get("format", base.format),
        on=tuple(doc.get("on", base.on)),
    )


def parse_org_units(doc: Mapping[str, Any], file: str) -> tuple[OrgUnit, ...]:
    items = doc.get("org_units") or []
    units: dict[str, OrgUnit] = {}
    for index, item in enumerate(items):
        key = str(item["key"])
        if key in units:
            raise ConfigError(
                f"duplicate org unit key {key!r}",
                file=file,
                line=line_of(doc, ["org_units", index, "key"]),
                field="key",
            )
        units[key] = OrgUnit(
            key=key,
            kind=item["kind"],
            name=str(item["name"]),
            parent=item.get("parent"),
            visibility=item.get("visibility"),
        )
    for index, item in enumerate(items):
        unit = units[str(item["key"])]
        where = {"file": file, "line": line_of(doc, ["org_units", index]), "field": "parent"}
        if unit.parent is not None and unit.parent not in units:
            raise ConfigError(f"{unit.key}: parent {unit.parent!r} is not declared", **where)  # type: ignore[arg-type]
        if unit.kind == "local_department" and (
            unit.parent is None or units[unit.parent].kind != "business_unit"
        ):
            raise ConfigError(
                f"local department {unit.key!r} needs a business unit as parent",
                **where,  # type: ignore[arg-type]
            )
        if unit.visibility is not None and unit.kind != "group":
            raise ConfigError(
                f"{unit.key}: only groups have a visibility",
                file=file,
                line=line_of(doc, ["org_units", index, "visibility"]),
                field="visibility",
            )
    _check_no_cycle(units, doc, file)
    return tuple(sorted(units.values(), key=lambda u: u.key))


def _check_no_cycle(units: Mapping[str, OrgUnit], doc: Mapping[str, Any], file: str) -> None:
    """Refuse parents that go round in a circle (a unit that is its own ancestor)."""
    rooted: set[str] = set()  # units whose chain of parents ends at the top
    for index, key in enumerate(units):  # insertion order is the file's order
        chain: list[str] = []
        current: str | None = key
        while current is not None and current not in rooted:
            if current in chain:
                loop = [*chain[chain.index(current) :], current]
                raise ConfigError(
                    f"{key}: parents form a cycle ({' -> '.join(loop)})",
                    file=file,
                    line=line_of(doc, ["org_units", index, "parent"]),
                    field="parent",
                )
            chain.append(current)
            current = units[current].parent
        rooted.update(chain)


def code_index(doc: Mapping[str, Any]) -> dict[tuple[OrgKind, str], tuple[OrgUnit, ...]]:
    index: dict[tuple[OrgKind, str], list[OrgUnit]] = {}
    for item in doc.get("org_units") or []:
        unit = OrgUnit(
            key=str(item["key"]),
            kind=item["kind"],
            name=str(item["name"]),
            parent=item.get("parent"),
            visibility=item.get("visibility"),
        )
        for code in item.get("hr_codes") or ():
            index.setdefault((unit.kind, _code_text(code)), []).append(unit)
    return {k: tuple(v) for k, v in index.items()}


def _code_text(code: Any) -> str:
    """An HR code as written: YAML reads an unquoted ``0100`` as the integer 100, but ruamel
    keeps its written width, so the leading zeros come back."""
    width = getattr(code, "_width", None)
    if type(code) is ScalarInt and isinstance(width, int):  # decimal, not hex or octal
        return ("-" if code < 0 else "") + str(abs(code)).zfill(width)
    return str(code)


def parse_rules(doc: Mapping[str, Any], file: str) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, item in enumerate(doc.get("rules") or []):
        name = str(item["name"])
        line = line_of(doc, ["rules", index])
        if name in seen:
            raise ConfigError(f"duplicate rule name {name!r}", file=file, line=line, field="name")
        seen.add(name)
        sets = item.get("set") or {}
        try:
            when = _condition(item["when"]) if "when" in item else None
        except re.error as err:
            raise ConfigError(
                f"invalid regex: {err}", file=file, line=line_of(doc, ["rules", index, "when"])
            ) from None
        job_title = None
        if "job_title" in sets:
            try:
                job_title = parse_template(str(sets["job_title"]))
            except TemplateError as err:
                raise ConfigError(
                    f"rule {name!r}: job_title template: {err}",
                    file=file,
                    line=line_of(doc, ["rules", index, "set", "job_title"]),
                    field="job_title",
                ) from None
        rules.append(
            Rule(
                name=name,
                line=line,
                when=when,
                units={t: _unit_ref(sets[t]) for t in UNIT_TARGETS if t in sets},
                job_title=job_title,
                language=sets.get("language"),
                add_groups=tuple(_unit_ref(g) for g in item.get("add_groups") or ()),
                stop=bool(item.get("stop", False)),
                description=str(item.get("description", "")),
                skip=bool(item.get("skip", False)),
            )
        )
    return tuple(rules)


def _unit_ref(raw: Any) -> UnitRef:
    if isinstance(raw, str):
        return UnitRef(key=raw)
    return UnitRef(lookup=str(raw["lookup"]), optional=bool(raw.get("optional", False)))


def _condition(raw: Mapping[str, Any]) -> Condition:
    if "all" in raw or "any" in raw:
        op = "all" if "all" in raw else "any"
        return Condition(op=op, children=tuple(_condition(c) for c in raw[op]))
    if "not" in raw:
        return Condition(op="not", children=(_condition(raw["not"]),))
    if "present" in raw or "missing" in raw:
        op = "present" if "present" in raw else "missing"
        return Condition(op=op, field=str(raw[op]))
    op = next(k for k in raw if k != "field")
    value: Any = raw[op]
    value = tuple(_scalar(v) for v in value) if op == "in" else _scalar(value)
    pattern = re.compile(str(value)) if op == "regex" else None
    wanted = value if op == "in" else (value,) if op == "equals" else ()
    return Condition(
        op=op,
        field=str(raw["field"]),
        value=value,
        pattern=pattern,
        texts=frozenset(str(v) for v in wanted),
        numbers=frozenset(float(str(v)) for v in wanted if _NUMBER.match(str(v))),
    )


def _scalar(value: Any) -> Any:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def condition_fields(cond: Condition) -> list[str]:
    own = [cond.field] if cond.field else []
    return own + [f for c in cond.children for f in condition_fields(c)]


def check_rules(
    rules: Sequence[Rule],
    org_units: Sequence[OrgUnit],
    source: SourceConfig,
    file: str,
    doc: Any,
) -> None:
    """Every key a rule names is declared with the right kind; every field it reads exists."""
    units = {u.key: u for u in org_units}
    fields = set(source.field_columns())
    for index, rule in enumerate(rules):

        def fail(
            message: str, path: list[str | int], fld: str, rule: Rule = rule, index: int = index
        ) -> None:
            raise ConfigError(
                f"rule {rule.name!r}: {message}",
                file=file,
                line=line_of(doc, ["rules", index, *path]),
                field=fld,
            )

        for fld in condition_fields(rule.when) if rule.when else []:
            if fld not in fields:
                fail(f"field {fld!r} is not a column in source.yaml", ["when"], fld)
        if rule.skip:
            for key in ("set", "add_groups", "stop"):
                if key in doc["rules"][index]:
                    fail(f"a skip rule takes rows out of scope, it has no {key!r}", [key], key)
        for placeholder in rule.job_title.placeholders if rule.job_title else ():
            if placeholder.unit is None and placeholder.name not in fields:
                fail(
                    f"job_title template: field {{{placeholder.name}}} is not a column in "
                    "source.yaml (columns or extra)",
                    ["set", "job_title"],
                    "job_title",
                )
        refs: list[tuple[str, UnitRef, OrgKind, list[str | int]]] = [
            (t, ref, UNIT_TARGETS[t], ["set", t]) for t, ref in rule.units.items()
        ]
        refs += [
            ("add_groups", ref, "group", ["add_groups", i]) for i, ref in enumerate(rule.add_groups)
        ]
        for target, ref, kind, path in refs:
            if ref.lookup is not None and ref.lookup not in fields:
                fail(f"lookup field {ref.lookup!r} is not a column in source.yaml", path, target)
            if ref.key is None:
                continue
            unit = units.get(ref.key)
            if unit is None:
                fail(f"org unit {ref.key!r} is not declared in org-units.yaml", path, target)
            elif unit.kind != kind:
                fail(f"org unit {ref.key!r} is a {unit.kind}, not a {kind}", path, target)
