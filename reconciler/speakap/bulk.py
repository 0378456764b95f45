"""SCIM Bulk (RFC 7644 3.7) for the backend: operations packed within the server's limits, and
the per-operation answers of a Bulk response read back.

One ``BulkOp`` carries out one or more actions (a membership PATCH carries up to
``dialect.batch_size`` of them). Every operation gets a ``bulkId``, so an answer is matched to
its operation whatever order the server answers in; an operation that needs the id of a
resource created earlier in the same request refers to it as ``bulkId:<id>``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reconciler.speakap.client import BulkLimits

Json = dict[str, Any]
_ENVELOPE = 200  # bytes of a Bulk request around its operations (schemas, the list)


@dataclass(slots=True)
class BulkOp:
    """One operation of a Bulk request and the actions (their indexes) it carries out."""

    indexes: list[int]
    method: str
    path: str
    bulk_id: str
    data: Json | None = None
    size: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        # as the client sends it (json.dumps' default separators, ASCII), with the ", " after it
        self.size = len(json.dumps(self.body())) + 2

    def body(self) -> Json:
        op: Json = {"method": self.method, "path": self.path, "bulkId": self.bulk_id}
        if self.data is not None:
            op["data"] = self.data
        return op


def pack(ops: Sequence[BulkOp], limits: BulkLimits) -> Iterator[list[BulkOp]]:
    """The operations in requests of at most ``max_operations`` and ``max_payload_size`` bytes
    (an operation larger than that alone still goes alone: the server says whether it fits)."""
    request: list[BulkOp] = []
    size = _ENVELOPE
    for op in ops:
        full = len(request) >= limits.max_operations
        too_big = limits.max_payload_size and size + op.size > limits.max_payload_size
        if request and (full or too_big):
            yield request
            request, size = [], _ENVELOPE
        request.append(op)
        size += op.size
    if request:
        yield request


def answers(ops: Sequence[BulkOp], response: Sequence[Mapping[str, Any]]) -> dict[str, Json]:
    """The answer of each operation by its bulkId. A server that does not echo bulkIds is read
    by position, but only when it answered every operation."""
    by_id: dict[str, Json] = {}
    for answer in response:
        bulk_id = answer.get("bulkId")
        if isinstance(bulk_id, str):
            by_id[bulk_id] = dict(answer)
    if not by_id and len(response) == len(ops):
        return {op.bulk_id: dict(answer) for op, answer in zip(ops, response, strict=True)}
    return by_id


def status_of(answer: Mapping[str, Any]) -> int:
    """The HTTP status of one answer (``"201"``, 201, or SCIM 1.1's ``{"code": 201}``); 0 when
    it has none."""
    status = answer.get("status")
    if isinstance(status, Mapping):
        status = status.get("code")
    try:
        return int(str(status).strip())
    except ValueError:
        return 0


def resource_of(answer: Mapping[str, Any]) -> Json | None:
    """The resource an answer carries (RFC 7644 makes it optional), else None."""
    response = answer.get("response")
    return response if isinstance(response, dict) and response.get("id") else None


def created_id(answer: Mapping[str, Any]) -> str | None:
    """The id of what a POST created: the resource's, else the last part of ``location``."""
    resource = resource_of(answer)
    if resource is not None:
        return str(resource["id"])
    location = answer.get("location")
    if isinstance(location, str) and location.rstrip("/"):
        return location.rstrip("/").rsplit("/", 1)[-1] or None
    return None


def error_detail(answer: Mapping[str, Any]) -> str:
    """What the server said about a failed operation."""
    response = answer.get("response")
    if isinstance(response, Mapping):
        parts = [str(response[k]) for k in ("scimType", "detail") if response.get(k)]
        if parts:
            return ": ".join(parts)
    return "no detail"
