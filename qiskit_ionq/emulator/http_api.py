"""Pieces every emulator route module shares: the response type, the error raised by
handlers, query helpers and who may call a route.

A leaf of its own so that the route modules (:mod:`.server` for ``/v0.3`` and the admin
routes, :mod:`.server_v04` and :mod:`.server_v04_features` for ``/v0.4``) import it rather
than each other.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Protocol

from .faults import reason
from .results_cache import FileBody

JSON_TYPE = "application/json"
Query = Dict[str, List[str]]


@dataclass
class Response:
    """An HTTP response before it is written: status, body bytes (or a file holding the
    body, sent with ``sendfile``), content type, headers."""

    status: int
    body: bytes
    content_type: str = JSON_TYPE
    headers: Dict[str, str] = field(default_factory=dict)
    file: Optional[FileBody] = None


def json_response(payload: Any, status: int = 200) -> Response:
    """Serialize ``payload`` as a JSON response."""
    return Response(status, json.dumps(payload, separators=(",", ":")).encode())


def error_response(status: int, message: str, headers: Optional[Dict[str, str]] = None) -> Response:
    """The vendor's error body (§7.1) for ``status``."""
    payload = {"error": reason(status), "message": message, "statusCode": status}
    response = json_response(payload, status)
    response.headers.update(headers or {})
    return response


class ApiError(Exception):
    """Raised by route handlers to answer with an error body."""

    def __init__(self, status: int, message: str, headers: Optional[Dict[str, str]] = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


def single_param(query: Query, name: str) -> Optional[str]:
    values = query.get(name)
    return values[-1] if values else None


def int_param(value: Any, name: str, low: int, high: Optional[int] = None) -> int:
    try:
        number = int(value)
        if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
    except (TypeError, ValueError):
        raise ApiError(400, f"'{name}' must be an integer, got {value!r}.") from None
    if number < low or (high is not None and number > high):
        bounds = f"from {low} to {high}" if high is not None else f"at least {low}"
        raise ApiError(400, f"'{name}' must be {bounds}, got {number}.")
    return number


def _ids(query: Query, body: Any) -> List[str]:
    """Job ids of the *-many routes: query ``ids`` (repeatable / comma list) or body ``ids``."""
    raw = query.get("ids") or query.get("ids[]")
    if raw:
        ids: Any = [part for value in raw for part in value.split(",") if part]
    else:
        ids = body.get("ids") if isinstance(body, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i for i in ids):
        raise ApiError(400, 'Give job ids as a JSON body {"ids": [...]} or query ids=<id>.')
    return ids


Handler = Callable[..., Any]
PUBLIC, KEY, ADMIN = "public", "key", "admin"  # who may call a route (see .security)
MAX_PAGE = 1000  # GET /jobs?limit=: larger pages are refused rather than built


class ApiState(Protocol):
    """What the ``/v0.4`` route modules use of :class:`.server.Api` (the shared state: jobs,
    catalogue, results cache, statistics). A protocol, so they need not import ``.server``,
    which imports them to build its route tables."""

    catalog: Any
    manager: Any
    results_cache: Any
    stats: Any
    v04: Any

    def _job(self, *args: Any, **kwargs: Any) -> Any: ...

    def cancel_job(self, *args: Any, **kwargs: Any) -> Any: ...

    def list_page(self, *args: Any, **kwargs: Any) -> Any: ...

    def sharpen_param(self, *args: Any, **kwargs: Any) -> Any: ...
