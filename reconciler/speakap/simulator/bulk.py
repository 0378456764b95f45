"""The simulator's ``POST /Bulk`` (RFC 7644 3.7), on when the ``bulk_max_operations`` knob is.

A request holds at most ``bulk_max_operations`` operations and ``bulk_max_payload`` bytes
(else 413, as ``/ServiceProviderConfig`` announces). Operations run in order on the same
network as single requests do; ``bulkId:<id>`` in a path or a value is the id a POST of the
same request created (409 ``invalidValue`` when that POST failed or has not run). With
``failOnErrors``, processing stops after that many failed operations: the later ones are not
in the response. A POST's answer carries the created resource (a printable invite's one-time
code with it), every answer its status, and a failure the SCIM error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reconciler.speakap.dialect import ERROR_SCHEMA, PATCH_SCHEMA
from reconciler.speakap.simulator.store import Kind, Network, ScimProblem

Json = dict[str, Any]
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
_PREFIX = "bulkId:"


def run_bulk(
    network: Network, body: Json, size: int, max_operations: int, max_payload: int
) -> Json:
    """The Bulk response to ``body`` (``size`` bytes); raises ScimProblem for a refused one."""
    if BULK_REQUEST not in (body.get("schemas") or []):
        raise ScimProblem(400, f"schemas must be [{BULK_REQUEST}]", "invalidSyntax")
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimProblem(400, "Operations must be a non-empty list", "invalidSyntax")
    if len(operations) > max_operations:
        raise ScimProblem(413, f"{len(operations)} operations, at most {max_operations} allowed")
    if size > max_payload:
        raise ScimProblem(413, f"{size} bytes, at most {max_payload} allowed")
    fail_on_errors = body.get("failOnErrors")
    limit = fail_on_errors if type(fail_on_errors) is int and fail_on_errors > 0 else None
    created: dict[str, str] = {}
    answers: list[Json] = []
    errors = 0
    for operation in operations:
        answer = _one(network, operation, created)
        answers.append(answer)
        if not answer["status"].startswith("2"):
            errors += 1
            if limit is not None and errors >= limit:
                break
    return {"schemas": [BULK_RESPONSE], "Operations": answers}


def _one(network: Network, operation: Any, created: dict[str, str]) -> Json:
    if not isinstance(operation, Mapping):
        return _failed({}, ScimProblem(400, "an operation must be an object", "invalidSyntax"))
    answer: Json = {"method": str(operation.get("method") or "")}
    bulk_id = operation.get("bulkId")
    if isinstance(bulk_id, str):
        answer["bulkId"] = bulk_id
    try:
        status, resource = _run(network, operation, created)
    except ScimProblem as problem:
        return _failed(answer, problem)
    answer["status"] = str(status)
    if resource is not None:
        meta = resource.get("meta") or {}
        answer["location"] = meta.get("location")
        answer["version"] = meta.get("version")
        if status == 201:
            answer["response"] = resource
            if isinstance(bulk_id, str):
                created[bulk_id] = str(resource["id"])
    return answer


def _run(
    network: Network, operation: Mapping[str, Any], created: dict[str, str]
) -> tuple[int, Json | None]:
    method = str(operation.get("method") or "").upper()
    path = _resolved(operation.get("path"), created)
    if not isinstance(path, str) or not path.startswith("/"):
        raise ScimProblem(400, "an operation needs a path", "invalidSyntax")
    parts = [p for p in path.split("/") if p]
    if not parts or parts[0] not in ("Users", "Groups") or len(parts) > 2:
        raise ScimProblem(404, f"no such endpoint {path}")
    kind: Kind = "Users" if parts[0] == "Users" else "Groups"
    data = _resolved(operation.get("data"), created)
    version = operation.get("version") if isinstance(operation.get("version"), str) else None
    if len(parts) == 1:
        if method != "POST":
            raise ScimProblem(405, f"{method} is not allowed on /{kind}")
        if not isinstance(operation.get("bulkId"), str):
            raise ScimProblem(400, "a POST operation needs a bulkId", "invalidSyntax")
        return 201, network.create(kind, _object(data))
    resource_id = parts[1]
    if method == "PUT":
        return 200, network.replace(kind, resource_id, _object(data), version)
    if method == "PATCH":
        body = _object(data)
        if PATCH_SCHEMA not in (body.get("schemas") or []):
            raise ScimProblem(400, f"schemas must be [{PATCH_SCHEMA}]", "invalidSyntax")
        ops = body.get("Operations")
        if not isinstance(ops, list) or not ops:
            raise ScimProblem(400, "Operations must be a non-empty list", "invalidSyntax")
        return 200, network.patch(kind, resource_id, ops, version)
    if method == "DELETE":
        network.delete(kind, resource_id, version)
        return 204, None
    raise ScimProblem(405, f"{method} is not allowed in a Bulk request")


def _resolved(value: Any, created: Mapping[str, str]) -> Any:
    """``value`` with every ``bulkId:<id>`` (a whole string, or a path segment) replaced."""
    if isinstance(value, str):
        if _PREFIX not in value:
            return value
        return "/".join(_reference(part, created) for part in value.split("/"))
    if isinstance(value, list):
        return [_resolved(item, created) for item in value]
    if isinstance(value, Mapping):
        return {key: _resolved(item, created) for key, item in value.items()}
    return value


def _reference(text: str, created: Mapping[str, str]) -> str:
    if not text.startswith(_PREFIX):
        return text
    found = created.get(text[len(_PREFIX) :])
    if found is None:
        raise ScimProblem(409, f"{text} names no resource created before it", "invalidValue")
    return found


def _object(data: Any) -> Json:
    if not isinstance(data, dict):
        raise ScimProblem(400, "an operation's data must be an object", "invalidSyntax")
    return data


def _failed(answer: Json, problem: ScimProblem) -> Json:
    error: Json = {
        "schemas": [ERROR_SCHEMA],
        "status": str(problem.status),
        "detail": problem.detail,
    }
    if problem.scim_type:
        error["scimType"] = problem.scim_type
    return {**answer, "status": str(problem.status), "response": error}
