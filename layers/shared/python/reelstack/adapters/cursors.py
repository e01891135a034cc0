"""Opaque page cursors: a DynamoDB LastEvaluatedKey, base64url-encoded JSON, and back."""

from __future__ import annotations

import base64
import json
from typing import Any

from reelstack.errors import InvalidRequest


def encode_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None) -> dict[str, Any] | None:
    """None for no cursor; `invalid_cursor` for anything this API did not give out."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, UnicodeDecodeError):
        key = None
    if not isinstance(key, dict):
        raise InvalidRequest("the cursor is not one this API gave out", code="invalid_cursor")
    return key
