"""HTTP answers for domain errors: every API error body is `{"code": ..., "message": ...}`.

A 4xx body carries the error's own code, message and details: they are ours, written for the caller.
A 5xx body never carries what went wrong inside (an SDK's message, a host and port, an AWS error code):
only the code, a plain message and the request id, which finds the logged details (see `error_answer`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from reelstack.errors import (
    Conflict,
    DependencyFailed,
    Forbidden,
    Gone,
    InvalidRequest,
    NotFound,
    ReelstackError,
    TooLarge,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
)

_STATUS: dict[type[ReelstackError], int] = {
    InvalidRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    TooLarge: 413,
    UnsupportedMediaType: 415,
    TooManyRequests: 429,
    DependencyFailed: 503,
}


# A dependency that failed or stalled (the SDK clients give up within the API's budget, see
# `SdkSettings`) is usually back within seconds: the client waits this long before it tries again.
DEPENDENCY_RETRY_AFTER_SECONDS = 5


def headers_for(error: ReelstackError) -> dict[str, str]:
    """Headers an error answer carries: `Retry-After` when rate limited or a dependency is unavailable,
    the bearer challenge on 401."""
    if isinstance(error, TooManyRequests):
        return {"Retry-After": error.retry_after_header}
    if isinstance(error, DependencyFailed):
        # A dependency that knows its own pause (`retry_after_s`, e.g. search's setting) says it.
        seconds = error.details.get("retry_after_s", DEPENDENCY_RETRY_AFTER_SECONDS)
        return {"Retry-After": str(max(1, math.ceil(float(seconds))))}
    if isinstance(error, Unauthorized):
        return {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    return {}


def status_for(error: ReelstackError) -> int:
    for cls in type(error).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 500


def internal_error_body(request_id: str) -> dict[str, Any]:
    return {"code": "internal_error", "message": "an internal error occurred", "request_id": request_id}


UNAVAILABLE_MESSAGE = "a service this request needs is unavailable; try again shortly"


@dataclass(frozen=True)
class ErrorAnswer:
    """What the API answers for a domain error, and whether its details must be logged (5xx)."""

    status: int
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def server_side(self) -> bool:
        return self.status >= 500


def error_answer(error: ReelstackError, request_id: str = "") -> ErrorAnswer:
    """The answer to `error`: its own body below 500; above, its code with a plain message only."""
    status = status_for(error)
    if status < 500:
        return ErrorAnswer(status, headers_for(error), error.to_dict())
    body = {"code": error.code, "message": UNAVAILABLE_MESSAGE, "request_id": request_id}
    return ErrorAnswer(status, headers_for(error), body)
