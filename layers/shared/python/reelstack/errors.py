"""Domain exceptions. Each carries a stable machine-readable `code`; the API maps classes to HTTP statuses."""

from __future__ import annotations

import math
from typing import Any


def coded_message(code: str, message: str) -> str:
    """`[code] message`: how an error's code travels inside a plain-text cause."""
    return f"[{code}] {message}"


def split_coded_message(text: str) -> tuple[str | None, str]:
    """The inverse of `coded_message`; text without a code gives (None, text)."""
    if text.startswith("[") and "] " in text:
        code, message = text[1:].split("] ", 1)
        return code, message
    return None, text


class ReelstackError(Exception):
    """Base of every error reelstack reports to a caller."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def __str__(self) -> str:
        # Step Functions records str(exc) as the cause: the code travels with the message.
        return coded_message(self.code, self.message)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.details}


class InvalidRequest(ReelstackError):
    """The caller sent something malformed or out of range (HTTP 400)."""

    code = "invalid_request"


class TooLarge(ReelstackError):
    """The declared payload exceeds a configured limit (HTTP 413)."""

    code = "too_large"


class UnsupportedMediaType(ReelstackError):
    """The body is in a media type the route does not read (HTTP 415)."""

    code = "unsupported_media_type"


class Unauthorized(ReelstackError):
    """No valid identity (HTTP 401)."""

    code = "unauthorized"


class Forbidden(ReelstackError):
    """A known identity that may not do this (HTTP 403)."""

    code = "forbidden"


class NotFound(ReelstackError):
    """The resource does not exist, or the caller may not know it exists (HTTP 404)."""

    code = "not_found"


class Conflict(ReelstackError):
    """The resource is not in a state that allows the request (HTTP 409)."""

    code = "conflict"


class Gone(ReelstackError):
    """The resource existed but was aborted or expired (HTTP 410)."""

    code = "gone"


class DependencyFailed(ReelstackError):
    """A backing service failed in a way the caller may retry (HTTP 503)."""

    code = "dependency_failed"


class TooManyRequests(ReelstackError):
    """The caller exhausted its token bucket for a route (HTTP 429 with `Retry-After`)."""

    code = "rate_limited"

    @property
    def retry_after_s(self) -> float:
        return float(self.details.get("retry_after_s", 1.0))

    @property
    def retry_after_header(self) -> str:
        """`Retry-After` takes whole seconds: round up, at least 1."""
        return str(max(1, math.ceil(self.retry_after_s)))
