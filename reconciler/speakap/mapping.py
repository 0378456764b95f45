"""Translation between our values (Person, OrgUnit, LiveUser, LiveGroup) and SCIM JSON.

Pure functions over plain dicts; the dialect says where each value travels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.model import (
    ORG_KINDS,
    GroupVisibility,
    LiveGroup,
    LiveUser,
    OrgKind,
    OrgUnit,
    Person,
)
from reconciler.speakap.dialect import ANONYMIZED_LOGIN_PREFIX, GROUP_SCHEMA, Dialect

Json = dict[str, Any]
PatchOp = dict[str, Any]
# a LiveUser's values in its field order (``live_user_row``)
LiveUserRow = tuple[
    str, str | None, Any, Any, Any, Any, str | None, str | None, Any, Any, bool, bool, Any, bool
]
_EMPTY: Mapping[str, Any] = {}

# Person profile field -> SCIM path (names and simple attributes).
_SIMPLE_PATHS: dict[str, str] = {
    "given_name": "name.givenName",
    "infix": "name.middleName",
    "family_name": "name.familyName",
    "job_title": "title",
    "language": "preferredLanguage",
}


def login_of(person: Person, dialect: Dialect) -> str:
    if dialect.login_source == "email" and person.email:
        return person.email.lower()
    return person.employee_id


def user_body(person: Person, dialect: Dialect) -> Json:
    """The POST /Users body of a new, managed, active user."""
    login = login_of(person, dialect)
    body: Json = {"schemas": dialect.user_schemas(), "userName": login, "active": True}
    _set_employee_id(body, person.employee_id, dialect)
    name = {"givenName": person.given_name, "familyName": person.family_name}
    if person.infix:
        name["middleName"] = person.infix
    body["name"] = name
    body["displayName"] = person.display_name
    if person.email:
        body["emails"] = [_email(person.email, dialect)]
    if person.phone:
        body["phoneNumbers"] = [_phone(person.phone, dialect)]
    if person.job_title:
        body["title"] = person.job_title
    if person.language:
        body["preferredLanguage"] = person.language
    body[dialect.bag_urn] = {
        dialect.login_attribute: login,
        dialect.marker_attribute: dialect.marker_value,
        dialect.invite_attribute: person.invite_channel,
    }
    return body


def _set_employee_id(body: Json, employee_id: str, dialect: Dialect) -> None:
    if dialect.employee_id_attribute == "externalId":
        body["externalId"] = employee_id
    else:
        body[dialect.enterprise_urn] = {"employeeNumber": employee_id}


def _email(value: str, dialect: Dialect) -> Json:
    return {"value": value.lower(), "type": dialect.email_type, "primary": True}


def _phone(value: str, dialect: Dialect) -> Json:
    return {"value": value, "type": dialect.phone_type}


def update_operations(
    after: Mapping[str, Any], dialect: Dialect, display: str | None = None
) -> list[PatchOp]:
    """PATCH operations that set exactly the profile fields in ``after`` (None removes);
    ``display`` (the new display name) is set too when a name part changes."""
    ops: list[PatchOp] = []
    if display and any(k in after for k in ("given_name", "infix", "family_name")):
        ops.append({"op": "replace", "path": "displayName", "value": display})
    for field_name, value in after.items():
        if field_name in _SIMPLE_PATHS:
            path = _SIMPLE_PATHS[field_name]
            ops.append(_set_or_remove(path, value))
        elif field_name == "email":
            ops.append(_set_or_remove("emails", [_email(value, dialect)] if value else None))
        elif field_name == "phone":
            ops.append(_set_or_remove("phoneNumbers", [_phone(value, dialect)] if value else None))
        else:
            raise ValueError(f"not a profile field: {field_name}")
    return ops


def _set_or_remove(path: str, value: Any) -> PatchOp:
    if value is None or value == "":
        return {"op": "remove", "path": path}
    return {"op": "replace", "path": path, "value": value}


def adopt_operations(employee_id: str, dialect: Dialect) -> list[PatchOp]:
    """Put the sync's marker and the employee id on an existing user."""
    id_path = dialect.employee_id_path()
    return [
        {"op": "replace", "path": id_path, "value": employee_id},
        {
            "op": "replace",
            "path": f"{dialect.bag_urn}:{dialect.marker_attribute}",
            "value": dialect.marker_value,
        },
    ]


def anonymized_body(current: Mapping[str, Any], dialect: Dialect) -> Json:
    """A full replacement of ``current`` without names, emails, phones or job title.

    The employee id and the marker stay, so the account is still recognised as managed until
    the server deletes it; the userName becomes ``anonymized-<id>`` (:func:`live_user` reads
    such an account back as ``anonymized``).
    """
    body: Json = {
        "schemas": list(current.get("schemas") or dialect.user_schemas()),
        "userName": f"{ANONYMIZED_LOGIN_PREFIX}{current['id']}",
        "active": False,
        "name": {"givenName": dialect.anonymous_name, "familyName": dialect.anonymous_name},
        "displayName": dialect.anonymous_name,
    }
    if "externalId" in current:
        body["externalId"] = current["externalId"]
    enterprise = current.get(dialect.enterprise_urn)
    if isinstance(enterprise, Mapping) and "employeeNumber" in enterprise:
        body[dialect.enterprise_urn] = {"employeeNumber": enterprise["employeeNumber"]}
    body[dialect.bag_urn] = {dialect.marker_attribute: dialect.marker_value}
    if dialect.bag_urn not in body["schemas"]:
        body["schemas"].append(dialect.bag_urn)
    return body


def group_body(unit: OrgUnit, dialect: Dialect) -> Json:
    """The POST /Groups body of an org unit. Its parent travels as the parent's key."""
    extension: Json = {dialect.group_kind_attribute: unit.kind}
    if unit.parent:
        extension[dialect.group_parent_attribute] = unit.parent
    if unit.visibility:
        extension[dialect.group_visibility_attribute] = unit.visibility
    return {
        "schemas": [GROUP_SCHEMA, dialect.group_urn],
        "externalId": unit.key,
        "displayName": unit.name,
        dialect.group_urn: extension,
    }


def group_update_operations(after: Mapping[str, Any], dialect: Dialect) -> list[PatchOp]:
    """PATCH operations that set exactly the org-unit fields in ``after`` (name -> displayName;
    parent key and visibility -> the group extension, None removes)."""
    ops: list[PatchOp] = []
    for field_name, value in after.items():
        if field_name == "name":
            ops.append({"op": "replace", "path": "displayName", "value": value})
        elif field_name == "parent":
            ops.append(
                _set_or_remove(f"{dialect.group_urn}:{dialect.group_parent_attribute}", value)
            )
        elif field_name == "visibility":
            path = f"{dialect.group_urn}:{dialect.group_visibility_attribute}"
            ops.append(_set_or_remove(path, value))
        else:
            raise ValueError(f"not an org-unit field: {field_name}")
    return ops


def member_add_operations(user_ids: list[str]) -> list[PatchOp]:
    return [{"op": "add", "path": "members", "value": [{"value": uid} for uid in user_ids]}]


def member_remove_operations(user_ids: list[str]) -> list[PatchOp]:
    return [{"op": "remove", "path": f'members[value eq "{uid}"]'} for uid in user_ids]


def live_user(resource: Mapping[str, Any], dialect: Dialect) -> LiveUser:
    """A SCIM user in canonical form (lower-case email, phone as given)."""
    return LiveUser(*live_user_row(resource, dialect))


def live_user_row(resource: Mapping[str, Any], dialect: Dialect) -> LiveUserRow:
    """:func:`live_user`'s values as a tuple in ``LiveUser``'s field order, without building
    the object: a fetch maps every user of the network with it (the common cases inline)."""
    get = resource.get
    name = get("name") or _EMPTY
    bag = get(dialect.bag_urn) or _EMPTY
    emails, phones = get("emails"), get("phoneNumbers")
    email = _pick(emails, dialect.email_type) if emails else None
    active = bool(get("active", True))
    user_name = get("userName")
    if dialect.employee_id_attribute == "externalId":
        employee_id = get("externalId")
    else:
        employee_id = (get(dialect.enterprise_urn) or _EMPTY).get("employeeNumber")
    return (
        str(resource["id"]),
        str(employee_id) if employee_id not in (None, "") else None,
        user_name,
        name.get("givenName"),
        name.get("middleName") or None,
        name.get("familyName"),
        email.lower() if email else None,
        _pick(phones, dialect.phone_type) if phones else None,
        get("title") or None,
        get("preferredLanguage") or None,
        active,
        bag.get(dialect.marker_attribute) == dialect.marker_value,
        (get("meta") or _EMPTY).get("version"),
        not active and _is_anonymized(user_name, active),
    )


def _is_anonymized(user_name: Any, active: bool) -> bool:
    """What :func:`anonymized_body` leaves: inactive, renamed ``anonymized-<id>``."""
    return not active and str(user_name or "").startswith(ANONYMIZED_LOGIN_PREFIX)


def invite_code(resource: Mapping[str, Any], dialect: Dialect) -> str | None:
    """The one-time activation code the server issued with a created user (a printable
    invite), if the create response carries one."""
    bag = resource.get(dialect.bag_urn)
    code = bag.get(dialect.invite_code_attribute) if isinstance(bag, Mapping) else None
    if not isinstance(code, str) or not code.strip():
        return None
    return code.strip()


def _pick(values: Any, preferred_type: str) -> str | None:
    """The primary value of a multi-valued attribute, else one of the preferred type, else
    the first."""
    if not isinstance(values, list) or not values:
        return None
    typed: Mapping[str, Any] | None = None
    first: Mapping[str, Any] | None = None
    for item in values:  # one pass: this runs for every user of a fetch
        if (type(item) is dict or isinstance(item, Mapping)) and item.get("value"):
            if item.get("primary") is True:
                return str(item["value"])
            if typed is None and item.get("type") == preferred_type:
                typed = item
            if first is None:
                first = item
    chosen = typed if typed is not None else first
    return str(chosen["value"]) if chosen is not None else None


def live_group(
    resource: Mapping[str, Any], dialect: Dialect, members: frozenset[str] | None = None
) -> LiveGroup:
    extension = resource.get(dialect.group_urn) or {}
    kind = extension.get(dialect.group_kind_attribute)
    meta = resource.get("meta") or {}
    if members is None:
        members = frozenset(
            str(m["value"]) for m in resource.get("members") or () if m.get("value") is not None
        )
    return LiveGroup(
        id=str(resource["id"]),
        key=resource.get("externalId"),
        name=str(resource.get("displayName") or ""),
        kind=_org_kind(kind),
        parent_key=extension.get(dialect.group_parent_attribute) or None,
        members=members,
        etag=meta.get("version"),
        visibility=_visibility(extension.get(dialect.group_visibility_attribute)),
    )


_VISIBILITIES: tuple[GroupVisibility, ...] = ("public", "restricted", "private", "secret")


def _visibility(value: Any) -> GroupVisibility | None:
    for visibility in _VISIBILITIES:
        if value == visibility:
            return visibility
    return None


def _org_kind(value: Any) -> OrgKind | None:
    for kind in ORG_KINDS:
        if value == kind:
            return kind
    return None
