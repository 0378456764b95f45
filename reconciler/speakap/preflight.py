"""The preflight: is this SCIM server fit for what the dialect will write?

``check(client, dialect)`` goes through these steps and returns a :class:`Readiness`:

1. Discovery: read ``/ServiceProviderConfig``. A 404 there means the URL is no SCIM base URL:
   the likely base paths (``/scim/v2``, ``/v2``, ``/scim``) are tried and the one that answers
   is named.
2. Features: PATCH and filtering must be supported (every change is a PATCH, every lookup a
   filter); the page cap, ETags, Bulk and the authentication schemes are reported.
3. Resource types and schemas (``/ResourceTypes``, ``/Schemas``): every attribute and
   extension URN the dialect writes is declared (and not read-only) for the resource type it
   is written to. The attributes are those the SCIM mapping really writes (sample bodies and
   PATCH operations of every kind), so the check follows the mapping. Each missing one is
   named with the dialect setting that maps it, and a declared name it resembles.
4. Authentication: one page of ``/Users`` read with the token (discovery may be public).
5. Memberships: whether the server fills ``User.groups``. ``memberships_from: auto`` becomes
   ``user_groups`` when it does and ``group_members`` otherwise; an explicit ``user_groups`` on
   a server that does not fill it is a problem (every plan would re-add every membership).

``speakap-sync check`` prints the findings; ``plan`` and ``apply`` run the same check once per
run (``settings.open_ready_backend``) and refuse an unfit server before anything is computed.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any, Literal
from urllib.parse import urlsplit

from reconciler.errors import SpeakapError, redact
from reconciler.model import OrgUnit, Person
from reconciler.speakap import mapping
from reconciler.speakap.client import ScimClient, is_service_provider_config
from reconciler.speakap.dialect import GROUP_SCHEMA, USER_SCHEMA, Dialect, MembershipSource
from reconciler.speakap.errors import AuthenticationError, NotFoundError, NotReadyError

Json = dict[str, Any]
Level = Literal["ok", "info", "problem"]
Resource = Literal["User", "Group"]
_CORE = {"User": USER_SCHEMA, "Group": GROUP_SCHEMA}
_ENDPOINTS = {"User": "/Users", "Group": "/Groups"}
# RFC 7643 3.1: common attributes, never declared in a schema
_COMMON = frozenset({"id", "externalId", "meta", "schemas"})
_BASE_PATHS = ("/scim/v2", "/v2", "/scim")
_SAMPLE_USERS = 50  # users read to see whether User.groups is filled
_SAMPLE_GROUPS = 20


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    topic: str  # discovery, features, schema, auth, memberships
    text: str


@dataclass(frozen=True, slots=True)
class Readiness:
    """What the preflight found: ``ready`` when no finding is a problem."""

    url: str  # the base URL, credentials cut out
    findings: tuple[Finding, ...]
    memberships_from: MembershipSource  # resolved: never "auto"
    page_cap: int | None = None
    etag: bool = False
    bulk_max_operations: int = 0  # 0: no Bulk

    @property
    def ready(self) -> bool:
        return not self.problems

    @property
    def problems(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.level == "problem")

    def raise_if_not_ready(self) -> None:
        if self.ready:
            return
        texts = "; ".join(p.text for p in self.problems)
        raise NotReadyError(
            f"the SCIM server at {self.url} is not ready for this dialect "
            f"({len(self.problems)} problem(s)): {texts}. `speakap-sync check` shows the details"
        )


def check(client: ScimClient, dialect: Dialect) -> Readiness:
    """Every step of the module's docstring, against ``client``'s server."""
    url = redact(client.base_url)
    found: list[Finding] = []
    try:
        spc = client.service_provider_config()
    except NotFoundError:
        found.append(Finding("problem", "discovery", _not_scim(client, "answers 404")))
        return Readiness(url, tuple(found), _fallback(dialect))
    except SpeakapError as error:
        found.append(
            Finding("problem", "discovery", f"cannot read /ServiceProviderConfig: {error}")
        )
        return Readiness(url, tuple(found), _fallback(dialect))
    if not is_service_provider_config(spc):  # a list, another API's object: a wrong URL
        why = "answers with no ServiceProviderConfig (none of its features)"
        found.append(Finding("problem", "discovery", _not_scim(client, why)))
        return Readiness(url, tuple(found), _fallback(dialect))
    found.append(Finding("ok", "discovery", "/ServiceProviderConfig answers"))
    found += _features(spc)
    schemas = _declared(client, found)
    if schemas is not None:
        found += _check_attributes(schemas, dialect)
    authorized = _authorized(client, found)
    source = dialect.memberships_from
    if authorized:
        source = _memberships(client, dialect, schemas, found)
    return Readiness(
        url,
        tuple(found),
        source if source != "auto" else "group_members",
        page_cap=_int((spc.get("filter") or {}).get("maxResults")),
        etag=bool((spc.get("etag") or {}).get("supported")),
        bulk_max_operations=_bulk_operations(spc),
    )


def resolve_memberships(client: ScimClient, dialect: Dialect) -> Dialect:
    """``dialect`` with ``memberships_from: auto`` resolved against the server (for a backend
    used without the preflight)."""
    if dialect.memberships_from != "auto":
        return dialect
    found: list[Finding] = []
    schemas = _declared(client, found)
    return replace(dialect, memberships_from=_memberships(client, dialect, schemas, found))


# -- 1. discovery ------------------------------------------------------------------------------


def _not_scim(client: ScimClient, why: str) -> str:
    base = client.base_url
    parts = urlsplit(base)
    root = f"{parts.scheme}://{parts.netloc}"
    candidates = dict.fromkeys(
        [root + p for p in _BASE_PATHS] + [base + p for p in _BASE_PATHS if not base.endswith(p)]
    )
    candidates.pop(base, None)
    for candidate in list(candidates)[:6]:
        if client.answers_scim(candidate):
            return (
                f"{redact(base)}/ServiceProviderConfig {why}: this is no SCIM base URL; "
                f"{redact(candidate)} answers SCIM: set `url` in speakap.yaml (or SPEAKAP_URL) "
                "to it"
            )
    tried = ", ".join(p for p in _BASE_PATHS)
    return (
        f"{redact(base)}/ServiceProviderConfig {why}: this is no SCIM base URL, and "
        f"none of {tried} under it answers either; check `url` (or SPEAKAP_URL)"
    )


# -- 2. features -------------------------------------------------------------------------------


def _features(spc: Mapping[str, Any]) -> Iterator[Finding]:
    for feature, name, why in (
        ("patch", "PATCH", "every change is a PATCH"),
        ("filter", "filtering", "every lookup is a filter"),
    ):
        if (spc.get(feature) or {}).get("supported"):
            yield Finding("ok", "features", f"{name} supported")
        else:
            yield Finding("problem", "features", f"{name} not supported ({why})")
    cap = _int((spc.get("filter") or {}).get("maxResults"))
    cap_text = f"{cap} resources per page" if cap else "not announced"
    yield Finding("info", "features", f"page cap: {cap_text}")
    etag = bool((spc.get("etag") or {}).get("supported"))
    yield Finding(
        "info",
        "features",
        "ETag: supported (writes carry If-Match)" if etag else "ETag: not supported",
    )
    bulk = spc.get("bulk") or {}
    if bulk.get("supported"):
        size = _int(bulk.get("maxPayloadSize"))
        size_text = f", {size} bytes per request" if size else ""
        ops = _int(bulk.get("maxOperations")) or 0
        yield Finding("info", "features", f"Bulk: supported, {ops} operations{size_text}")
    else:
        yield Finding("info", "features", "Bulk: not supported")
    schemes = [
        str(s.get("type") or s.get("name"))
        for s in spc.get("authenticationSchemes") or ()
        if isinstance(s, Mapping)
    ]
    yield Finding(
        "info", "auth", f"authentication schemes: {', '.join(schemes) or 'none announced'}"
    )
    if schemes and not any("bearer" in s.lower() for s in schemes):
        yield Finding("info", "auth", "no bearer-token scheme announced; the token may be refused")


def _bulk_operations(spc: Mapping[str, Any]) -> int:
    bulk = spc.get("bulk") or {}
    return (_int(bulk.get("maxOperations")) or 0) if bulk.get("supported") else 0


# -- 3. resource types and schemas -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Schemas:
    extensions: dict[str, set[str]]  # resource type -> extension URNs it declares
    attributes: dict[str, dict[str, Json]]  # schema URN -> lower-case path -> attribute


def _declared(client: ScimClient, found: list[Finding]) -> _Schemas | None:
    try:
        types = client.discovery("/ResourceTypes")
        schemas = client.discovery("/Schemas")
    except SpeakapError as error:
        found.append(
            Finding(
                "problem",
                "discovery",
                f"cannot read /ResourceTypes and /Schemas ({error}): the attributes the dialect "
                "writes cannot be checked",
            )
        )
        return None
    found.append(Finding("ok", "discovery", "/ResourceTypes and /Schemas answer"))
    extensions: dict[str, set[str]] = {}
    for item in types:
        name = _resource_name(item)
        if name:
            extensions[name] = {
                str(e.get("schema"))
                for e in item.get("schemaExtensions") or ()
                if isinstance(e, Mapping)
            }
    attributes = {str(s.get("id")): dict(_paths(s.get("attributes") or ())) for s in schemas}
    return _Schemas(extensions, attributes)


def _resource_name(item: Mapping[str, Any]) -> str | None:
    endpoint = str(item.get("endpoint") or "").rstrip("/")
    for name, path in _ENDPOINTS.items():
        if endpoint == path or item.get("schema") == _CORE[name]:
            return name
    return None


def _paths(attributes: Iterable[Any], prefix: str = "") -> Iterator[tuple[str, Json]]:
    for attribute in attributes:
        if not isinstance(attribute, Mapping) or not attribute.get("name"):
            continue
        path = f"{prefix}{attribute['name']}".lower()
        yield path, dict(attribute)
        yield from _paths(attribute.get("subAttributes") or (), path + ".")


@dataclass(frozen=True, slots=True, order=True)
class WrittenAttribute:
    resource: Resource
    urn: str  # the core schema or an extension
    path: str  # e.g. name.givenName, managedBy


def written_attributes(dialect: Dialect) -> list[WrittenAttribute]:
    """Every attribute the SCIM mapping writes under ``dialect``: read off sample bodies and
    PATCH operations of every action kind, so the list follows the mapping."""
    person = Person(
        employee_id="E1",
        given_name="Ann",
        family_name="Lee",
        infix="van",
        email="ann@example.com",
        phone="+31600000000",
        job_title="Clerk",
        language="nl",
        invite_channel="printable",
        status="active",
        start_date=date(2026, 1, 1),
    )
    unit = OrgUnit(key="g", kind="group", name="G", parent="p", visibility="public")
    found: set[WrittenAttribute] = set()
    found |= _from_body("User", mapping.user_body(person, dialect), dialect)
    found |= _from_body("Group", mapping.group_body(unit, dialect), dialect)
    profile = {k: v for k, v in person.profile().items() if v is not None}
    user_ops = [
        *mapping.update_operations(profile, dialect, person.display_name),
        *mapping.adopt_operations(person.employee_id, dialect),
        {"op": "replace", "path": "active", "value": False},
    ]
    group_ops = [
        *mapping.group_update_operations({"name": "G", "parent": "p", "visibility": "x"}, dialect),
        *mapping.member_add_operations(["u1"]),
    ]
    for resource, ops in (("User", user_ops), ("Group", group_ops)):
        for op in ops:
            found |= _from_operation(resource, op, dialect)  # type: ignore[arg-type]
    return sorted(w for w in found if w.path.split(".")[0] not in _COMMON)


def _from_body(
    resource: Resource, body: Mapping[str, Any], dialect: Dialect
) -> set[WrittenAttribute]:
    core = _CORE[resource]
    found: set[WrittenAttribute] = set()
    for key, value in body.items():
        if key in _COMMON:
            continue
        if key.lower().startswith("urn:") and isinstance(value, Mapping):
            found |= {WrittenAttribute(resource, key, str(sub)) for sub in value}
        else:
            found |= {WrittenAttribute(resource, core, p) for p in _value_paths(key, value)}
    return found


def _from_operation(
    resource: Resource, op: Mapping[str, Any], dialect: Dialect
) -> set[WrittenAttribute]:
    path = str(op.get("path") or "").split("[", 1)[0]
    for urn in (dialect.bag_urn, dialect.group_urn, dialect.enterprise_urn):
        if path.startswith(urn + ":"):
            return {WrittenAttribute(resource, urn, path[len(urn) + 1 :])}
    return {
        WrittenAttribute(resource, _CORE[resource], p) for p in _value_paths(path, op.get("value"))
    }


def _value_paths(key: str, value: Any) -> set[str]:
    paths = {key}
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, Mapping):
            paths |= {f"{key}.{sub}" for sub in item}
    return paths


def _check_attributes(schemas: _Schemas, dialect: Dialect) -> list[Finding]:
    found: list[Finding] = []
    written = written_attributes(dialect)
    unusable: set[str] = set()  # extensions named once, with their attributes
    for resource, extension in sorted({(w.resource, w.urn) for w in written}):
        if extension == _CORE[resource]:
            continue
        names = ", ".join(w.path for w in written if w.urn == extension)
        declared = sorted(schemas.extensions.get(resource, set()))
        if extension not in declared:
            problem = f"is not declared for {_ENDPOINTS[resource]}"
        elif extension not in schemas.attributes:
            problem = f"is declared for {_ENDPOINTS[resource]} but /Schemas does not describe it"
        else:
            continue
        unusable.add(extension)
        setting = _setting_for(dialect, extension)
        found.append(
            Finding(
                "problem",
                "schema",
                f"extension {extension} {problem}: its attributes {names} cannot be written"
                f"{_resembles(extension, declared)}; dialect setting {setting} names it",
            )
        )
    missing = 0
    undescribed: dict[str, list[str]] = {}  # a core schema /Schemas lacks: its written paths
    for item in written:
        if item.urn in unusable:
            continue
        declared_attributes = schemas.attributes.get(item.urn)
        if declared_attributes is None:
            missing += 1
            undescribed.setdefault(item.urn, []).append(item.path)
            continue
        attribute = declared_attributes.get(item.path.lower())
        name = item.path if item.urn == _CORE[item.resource] else f"{item.urn}:{item.path}"
        if attribute is None:
            missing += 1
            candidates = [p for p in declared_attributes if "." not in p]
            setting = _setting_for(dialect, item.urn, item.path)
            mapped = (
                f"dialect setting {setting} maps it"
                if setting
                else "a core attribute: no dialect setting maps it, the server must declare it"
            )
            found.append(
                Finding(
                    "problem",
                    "schema",
                    f"{item.resource} attribute {name} is not declared"
                    f"{_resembles(item.path.lower(), candidates)}; {mapped}",
                )
            )
        elif str(attribute.get("mutability", "readWrite")).lower() == "readonly":
            missing += 1
            found.append(
                Finding("problem", "schema", f"{item.resource} attribute {name} is read-only")
            )
    for urn, paths in undescribed.items():
        listed = ", ".join(dict.fromkeys(paths))
        found.append(
            Finding("problem", "schema", f"/Schemas lacks the core {urn} (written: {listed})")
        )
    found += _invite_code(schemas, dialect)
    if not missing and not any(f.level == "problem" for f in found):
        found.insert(
            0,
            Finding(
                "ok",
                "schema",
                f"all {len(written)} attributes the dialect writes are declared and writable",
            ),
        )
    return found


def _invite_code(schemas: _Schemas, dialect: Dialect) -> list[Finding]:
    bag = schemas.attributes.get(dialect.bag_urn)
    if bag is None or dialect.invite_code_attribute.lower() in bag:
        return []  # (a missing bag is a problem of its own)
    return [
        Finding(
            "info",
            "schema",
            f"{dialect.bag_urn}:{dialect.invite_code_attribute} is not declared: printable "
            "invites will say the code is issued in Speakap's admin console "
            "(invite_code_attribute)",
        )
    ]


def _setting_for(dialect: Dialect, urn: str, path: str | None = None) -> str | None:
    """The dialect setting that names an extension URN, or an attribute written under one."""
    if path is None:
        names = [f.name for f in fields(Dialect) if f.name.endswith("_urn")]
        return next((n for n in names if getattr(dialect, n) == urn), None)
    top = path.split(".")[0]
    if urn == dialect.enterprise_urn and top == "employeeNumber":
        return "employee_id_attribute"
    if urn == _CORE["User"] or urn == _CORE["Group"]:
        return None
    names = [f.name for f in fields(Dialect) if f.name.endswith("_attribute")]
    return next((n for n in names if getattr(dialect, n) == top), None)


def _resembles(name: str, declared: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(declared), n=1, cutoff=0.6)
    return f" (the server declares {close[0]!r})" if close else ""


# -- 4. authentication and 5. memberships ------------------------------------------------------


def _authorized(client: ScimClient, found: list[Finding]) -> bool:
    try:
        users = client.page("/Users", count=1, attributes="userName")
        groups = client.page("/Groups", count=1, attributes="displayName")
    except AuthenticationError as error:
        found.append(Finding("problem", "auth", f"the token was refused: {error}"))
        return False
    except SpeakapError as error:
        found.append(Finding("problem", "auth", f"cannot list /Users and /Groups: {error}"))
        return False
    found.append(
        Finding(
            "ok",
            "auth",
            f"the token reads /Users ({users.total} users) and /Groups ({groups.total} groups); "
            "writes are not tried",
        )
    )
    return True


def _memberships(
    client: ScimClient, dialect: Dialect, schemas: _Schemas | None, found: list[Finding]
) -> MembershipSource:
    chosen = dialect.memberships_from
    if chosen == "group_members":
        found.append(Finding("ok", "memberships", "read from the groups' members (as set)"))
        return chosen
    filled, why = _groups_filled(client, schemas)
    if filled is None:  # cannot tell: the groups' members are right on every server
        source: MembershipSource = "group_members" if chosen == "auto" else chosen
        found.append(Finding("info", "memberships", f"{why}: memberships_from: {source}"))
        return source
    if filled:
        found.append(Finding("ok", "memberships", f"{why}: memberships_from: user_groups"))
        return "user_groups"
    if chosen == "user_groups":
        found.append(
            Finding(
                "problem",
                "memberships",
                f"memberships_from is user_groups, but {why}: every plan would add every "
                "membership again; set memberships_from: auto (or group_members)",
            )
        )
        return chosen
    found.append(Finding("ok", "memberships", f"{why}: memberships_from: group_members"))
    return "group_members"


def _groups_filled(client: ScimClient, schemas: _Schemas | None) -> tuple[bool | None, str]:
    """Whether the server fills ``User.groups``, and the evidence; None when it cannot be told."""
    if schemas is not None and "groups" not in schemas.attributes.get(USER_SCHEMA, {}):
        return False, "the User schema has no groups attribute"
    try:
        users = client.page("/Users", count=_SAMPLE_USERS, attributes="groups").resources
        if any(u.get("groups") for u in users):
            return True, "the server fills User.groups"
        groups = client.page("/Groups", count=_SAMPLE_GROUPS, attributes="members").resources
        for group in groups:
            for member in group.get("members") or ():
                if not isinstance(member, Mapping) or member.get("type") == "Group":
                    continue
                user = client.get("/Users", str(member.get("value")), attributes="groups")
                listed = {str(g.get("value")) for g in user.get("groups") or ()}
                if str(group.get("id")) in listed:
                    return True, "the server fills User.groups"
                return False, "the server does not fill User.groups (a member lists no group)"
    except SpeakapError as error:
        return None, f"cannot tell whether the server fills User.groups ({error})"
    return None, "no memberships yet to tell whether the server fills User.groups"


def _fallback(dialect: Dialect) -> MembershipSource:
    return "group_members" if dialect.memberships_from == "auto" else dialect.memberships_from


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None
