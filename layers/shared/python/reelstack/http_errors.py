"""HTTP statuses for domain errors; every API error body is `{"code": ..., "message": ...}`."""

from __future__ import annotations

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
)

_STATUS: dict[type[ReelstackError], int] = {
    InvalidRequest: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    Gone: 410,
    TooLarge: 413,
    TooManyRequests: 429,
    DependencyFailed: 503,
}


def headers_for(error: ReelstackError) -> dict[str, str]:
    """Headers an error answer carries: `Retry-After` when rate limited, the bearer challenge on 401."""
    if isinstance(error, TooManyRequests):
        return {"Retry-After": error.retry_after_header}
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
