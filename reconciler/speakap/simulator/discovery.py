"""The discovery documents the simulator serves: ServiceProviderConfig, Schemas, ResourceTypes.

The schemas declare the attributes the simulator keeps (RFC 7643 sections 4, 5, 7) and the
Speakap extensions of the dialect; the same extension schemas are declared to scim2-server in
the tests, so both servers accept the same requests.
"""

from __future__ import annotations

from typing import Any

from reconciler.speakap.dialect import GROUP_SCHEMA, USER_SCHEMA, Dialect

Json = dict[str, Any]

SCHEMA_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SPC_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


def _attr(
    name: str,
    type_: str = "string",
    *,
    multi: bool = False,
    required: bool = False,
    case_exact: bool = False,
    mutability: str = "readWrite",
    returned: str = "default",
    uniqueness: str = "none",
    sub: list[Json] | None = None,
    canonical: list[str] | None = None,
    refs: list[str] | None = None,
) -> Json:
    attr: Json = {
        "name": name,
        "type": type_,
        "multiValued": multi,
        "description": name,
        "required": required,
        "caseExact": case_exact,
        "mutability": mutability,
        "returned": returned,
        "uniqueness": uniqueness,
    }
    if sub is not None:
        attr["subAttributes"] = sub
    if canonical is not None:
        attr["canonicalValues"] = canonical
    if refs is not None:
        attr["referenceTypes"] = refs
    return attr


def _multi(types: list[str]) -> list[Json]:
    return [
        _attr("value"),
        _attr("type", canonical=types),
        _attr("primary", "boolean"),
    ]


def _schema(urn: str, name: str, attributes: list[Json]) -> Json:
    return {
        "schemas": [SCHEMA_SCHEMA],
        "id": urn,
        "name": name,
        "description": name,
        "attributes": attributes,
        "meta": {"resourceType": "Schema", "location": f"/Schemas/{urn}"},
    }


def user_schema() -> Json:
    return _schema(
        USER_SCHEMA,
        "User",
        [
            _attr("userName", required=True, uniqueness="server"),
            _attr(
                "name",
                "complex",
                sub=[
                    _attr("formatted"),
                    _attr("familyName"),
                    _attr("givenName"),
                    _attr("middleName"),
                ],
            ),
            _attr("displayName"),
            _attr("title"),
            _attr("preferredLanguage"),
            _attr("active", "boolean"),
            _attr("emails", "complex", multi=True, sub=_multi(["work", "home", "other"])),
            _attr("phoneNumbers", "complex", multi=True, sub=_multi(["mobile", "work", "other"])),
            _attr(
                "groups",
                "complex",
                multi=True,
                mutability="readOnly",
                sub=[
                    _attr("value", mutability="readOnly"),
                    _attr("$ref", "reference", mutability="readOnly", refs=["Group"]),
                    _attr("display", mutability="readOnly"),
                    _attr("type", mutability="readOnly", canonical=["direct", "indirect"]),
                ],
            ),
        ],
    )


def group_schema() -> Json:
    return _schema(
        GROUP_SCHEMA,
        "Group",
        [
            _attr("displayName", required=True),
            _attr(
                "members",
                "complex",
                multi=True,
                sub=[
                    _attr("value", mutability="immutable"),
                    _attr("$ref", "reference", mutability="immutable", refs=["User", "Group"]),
                    _attr("display", mutability="readOnly"),
                    _attr("type", mutability="immutable", canonical=["User", "Group"]),
                ],
            ),
        ],
    )


def enterprise_schema(dialect: Dialect) -> Json:
    return _schema(
        dialect.enterprise_urn,
        "EnterpriseUser",
        [_attr("employeeNumber"), _attr("department")],
    )


def bag_schema(dialect: Dialect) -> Json:
    return _schema(
        dialect.bag_urn,
        "SpeakapBag",
        [
            _attr(dialect.login_attribute),
            _attr(dialect.marker_attribute),
            _attr(dialect.invite_attribute, canonical=["email", "sms", "printable"]),
            # issued by the server for a printable invite; only in the create response
            _attr(dialect.invite_code_attribute, mutability="readOnly", returned="request"),
        ],
    )


def group_extension_schema(dialect: Dialect) -> Json:
    return _schema(
        dialect.group_urn,
        "SpeakapGroup",
        [
            _attr(
                dialect.group_kind_attribute,
                canonical=["business_unit", "department", "local_department", "group"],
            ),
            _attr(dialect.group_parent_attribute),
            _attr(
                dialect.group_visibility_attribute,
                canonical=["public", "restricted", "private", "secret"],
            ),
        ],
    )


def schemas(dialect: Dialect) -> list[Json]:
    return [
        user_schema(),
        group_schema(),
        enterprise_schema(dialect),
        bag_schema(dialect),
        group_extension_schema(dialect),
    ]


def resource_types(dialect: Dialect) -> list[Json]:
    return [
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": USER_SCHEMA,
            "schemaExtensions": [
                {"schema": dialect.enterprise_urn, "required": False},
                {"schema": dialect.bag_urn, "required": False},
            ],
            "meta": {"resourceType": "ResourceType", "location": "/ResourceTypes/User"},
        },
        {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Org unit (business unit, department, local department, group)",
            "schema": GROUP_SCHEMA,
            "schemaExtensions": [{"schema": dialect.group_urn, "required": False}],
            "meta": {"resourceType": "ResourceType", "location": "/ResourceTypes/Group"},
        },
    ]


def service_provider_config(max_results: int, *, bulk: tuple[int, int] = (0, 0)) -> Json:
    """The ServiceProviderConfig; ``bulk``: (max operations, max payload bytes), 0 for none."""
    operations, payload = bulk
    return {
        "schemas": [SPC_SCHEMA],
        "documentationUri": "https://github.com/speakap-sync",
        "patch": {"supported": True},
        "bulk": {
            "supported": operations > 0,
            "maxOperations": max(0, operations),
            "maxPayloadSize": payload if operations > 0 else 0,
        },
        "filter": {"supported": True, "maxResults": max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": True},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "A bearer token in the Authorization header",
                "primary": True,
            }
        ],
        "meta": {"resourceType": "ServiceProviderConfig", "location": "/ServiceProviderConfig"},
    }
