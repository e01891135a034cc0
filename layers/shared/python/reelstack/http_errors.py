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
    DependencyFailed: 503,
}


def status_for(error: ReelstackError) -> int:
    for cls in type(error).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return 500


def internal_error_body(request_id: str) -> dict[str, Any]:
    return {"code": "internal_error", "message": "an internal error occurred", "request_id": request_id}
