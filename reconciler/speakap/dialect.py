"""Every choice about how Speakap's SCIM dialect carries our data, in one place.

Speakap documents only part of its SCIM dialect, and a real network may differ, so every URN,
attribute name and limit the client relies on is a field of :class:`Dialect`, which
``desired-state/speakap.yaml`` can override (``dialect:``). The README lists them.

How a person travels (defaults):

- employee id (HR id, Speakap's XID) -> ``externalId`` (or the enterprise ``employeeNumber``);
- given name / infix / family name -> ``name.givenName`` / ``name.middleName`` /
  ``name.familyName``; job title -> ``title``; language -> ``preferredLanguage``;
- email -> ``emails[primary]`` (type work); phone -> ``phoneNumbers`` (type mobile, E.164);
- login -> ``userName`` and the bag's ``login`` (email when there is one, else employee id);
- the sync's marker -> bag ``managedBy: speakap-sync`` on every user it created or adopted;
- the invitation channel -> bag ``inviteChannel`` on create;
- the one-time activation code of a printable invite <- bag ``inviteCode``, which the server
  issues and returns in the create response only (never sent, never read back, never stored).

A user deleted in Speakap stays recoverable for the network's grace period. Such users are
listed at ``deleted_users_endpoint`` (``GET /DeletedUsers``: a SCIM list of the users as they
were, each with the ``groups`` it goes back to) and one is recovered, memberships included, with
``POST /DeletedUsers/{id}/recover`` (answered with the user). A server without that endpoint
(404) keeps no recoverable users: a managed account deleted by hand is then created anew.

An org unit is a Group: key -> ``externalId``, name -> ``displayName``, kind / parent key /
visibility -> the Speakap group extension. A renamed or moved org unit is one PATCH of
``displayName`` and the extension's parent / visibility paths (``<group_urn>:parent``; a
removed parent is a ``remove``). Memberships are Group ``members``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from string import Formatter
from typing import Any, Literal

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

# An anonymized account is renamed ``<prefix><live id>`` and deactivated until it is deleted.
ANONYMIZED_LOGIN_PREFIX = "anonymized-"

EmployeeIdAttribute = Literal["externalId", "employeeNumber"]
LoginSource = Literal["email", "employee_id"]
MembershipSource = Literal["auto", "user_groups", "group_members"]


@dataclass(frozen=True, slots=True)
class Dialect:
    """The SCIM dialect of one Speakap network. Defaults follow Speakap's public material."""

    enterprise_urn: str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    bag_urn: str = "urn:speakap:params:scim:bag"
    group_urn: str = "urn:speakap:params:scim:schemas:extension:group:2.0:Group"
    # Which attribute carries the HR employee id: core externalId or enterprise employeeNumber.
    employee_id_attribute: EmployeeIdAttribute = "externalId"
    # userName / bag login: the (lower-case) email when there is one, else the employee id.
    login_source: LoginSource = "email"
    login_attribute: str = "login"  # in the bag
    marker_attribute: str = "managedBy"  # in the bag
    marker_value: str = "speakap-sync"
    invite_attribute: str = "inviteChannel"  # in the bag, written on create
    # In the bag of a create response: the one-time code Speakap issued for a printable invite.
    invite_code_attribute: str = "inviteCode"
    group_kind_attribute: str = "kind"  # in the group extension
    group_parent_attribute: str = "parent"  # in the group extension: the parent's key
    group_visibility_attribute: str = "visibility"  # in the group extension
    email_type: str = "work"
    phone_type: str = "mobile"
    # Where memberships are read from: the users' read-only ``groups`` attribute (no extra
    # request; Speakap and the simulator fill it) or the groups' ``members`` (any server);
    # ``auto``: the preflight looks whether the server fills ``User.groups`` (speakap/preflight).
    memberships_from: MembershipSource = "auto"
    batch_size: int = 100  # members per Group PATCH
    # Recoverable deleted users: listed here, recovered with POST <endpoint>/<id><suffix>.
    # Empty: the server keeps none (the backend does not ask).
    deleted_users_endpoint: str = "/DeletedUsers"
    recover_suffix: str = "/recover"
    anonymous_name: str = "Anonymous"
    # Where a printable invite is activated, as a URL template with {login} and {code}
    # (printed on the sheet as a QR code); None: the network has no such link.
    activation_url: str | None = None

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Dialect:
        """Defaults overridden by ``values`` (keys are field names); unknown keys are errors."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown dialect setting(s): {', '.join(unknown)}")
        activation = values.get("activation_url")
        if activation is not None:
            _check_url_template(str(activation), ACTIVATION_FIELDS)
        return replace(cls(), **dict(values))

    def employee_id_filter(self, employee_id: str) -> str:
        """The SCIM filter that finds a user by employee id."""
        return f"{self.employee_id_path()} eq {quote(employee_id)}"

    def employee_id_path(self) -> str:
        if self.employee_id_attribute == "externalId":
            return "externalId"
        return f"{self.enterprise_urn}:employeeNumber"

    def user_schemas(self) -> list[str]:
        schemas = [USER_SCHEMA, self.bag_urn]
        if self.employee_id_attribute == "employeeNumber":
            schemas.insert(1, self.enterprise_urn)
        return schemas


ACTIVATION_FIELDS = frozenset({"login", "code"})


def _check_url_template(template: str, allowed: frozenset[str]) -> None:
    """A URL template names only ``allowed`` fields, plainly: ``{code}`` (``{{`` for a brace)."""
    try:
        fields = [
            (name, spec, conversion)
            for _, name, spec, conversion in Formatter().parse(template)
            if name is not None
        ]
    except ValueError as err:
        raise ValueError(f"activation_url is not a valid URL template ({err})") from None
    wrong = sorted(
        "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        for name, spec, conversion in fields
        if name not in allowed or spec or conversion
    )
    if wrong:
        raise ValueError(f"activation_url may hold {{login}} and {{code}} only, not {wrong[0]}")


def quote(value: str) -> str:
    """A SCIM filter string literal (JSON string rules)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


DEFAULT_DIALECT = Dialect()
