"""What an HTTP request may cost before we look at it: body size caps, JSON parsing, query numbers.

Every route has a body cap, checked on the raw bytes before anything parses them (413 `body_too_large`).
Most routes take a few small fields and get `DEFAULT_BODY_CAP`; a route whose fields are bigger computes
its cap from them (`text_body_cap`, and the upload routes' own caps in `domain.media.uploads`).
"""

from __future__ import annotations

import json
from typing import Any

from reelstack.errors import InvalidRequest, TooLarge, UnsupportedMediaType

KiB = 1024
DEFAULT_BODY_CAP = 4 * KiB
# The most bytes one character can take in a JSON string: an astral character written as an escaped
# surrogate pair (`\ud83d\ude00`, what json.dumps sends by default).
MAX_JSON_BYTES_PER_CHAR = 12
# Room for keys, punctuation, numbers and pretty-printing around the text fields of a body.
BODY_OVERHEAD = 2 * KiB
MAX_LIMIT_DIGITS = 6


def text_body_cap(max_chars: int) -> int:
    """The cap of a body whose text fields hold at most `max_chars` characters in all."""
    return BODY_OVERHEAD + MAX_JSON_BYTES_PER_CHAR * max_chars


def require_body_within(size: int, cap: int) -> None:
    """413 `body_too_large` when a body of `size` bytes exceeds the route's `cap`."""
    if size > cap:
        raise TooLarge(
            f"the body is {size} bytes; this route accepts at most {cap}",
            code="body_too_large",
            max_body_bytes=cap,
        )


def is_json_media_type(content_type: str | None) -> bool:
    """`application/json` or any `<type>/<subtype>+json`, parameters (`; charset=utf-8`) aside; no
    Content-Type at all is read as JSON too (what the API always did)."""
    if content_type is None or not content_type.strip():
        return True
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == "application/json" or (media_type.count("/") == 1 and media_type.endswith("+json"))


def require_json_body(content_type: str | None, raw: bytes) -> None:
    """415 `unsupported_media_type` for a body sent as anything but JSON (an empty body has no type)."""
    if raw.strip() and not is_json_media_type(content_type):
        raise UnsupportedMediaType(
            "the body must be JSON (Content-Type: application/json)", code="unsupported_media_type"
        )


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json_body(raw: bytes, cap: int) -> Any:
    """The JSON document in `raw` ({} when empty); 413 over `cap`, 400 `invalid_json` when malformed.

    Nesting deeper than the parser's recursion limit (a body of `[[[[...`) is malformed too, as are
    NaN and Infinity (not JSON, and no field of ours takes them).
    """
    require_body_within(len(raw), cap)
    if not raw.strip():
        return {}
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InvalidRequest("the body is not valid JSON", code="invalid_json") from None


def parse_limit(text: str | None, *, default: int, maximum: int) -> int:
    """A page size from the query string: ASCII digits only, 1..maximum; else 400 `invalid_limit`.

    `str.isdigit` and `int` accept other scripts' digits, superscripts (`²`), signs, spaces and
    underscores: none of those is a page size.
    """
    if text is None or text == "":
        return default
    if len(text) > MAX_LIMIT_DIGITS or not text.isascii() or not text.isdigit():
        raise InvalidRequest(f"limit must be a whole number in 1..{maximum}", code="invalid_limit")
    limit = int(text)
    if not 1 <= limit <= maximum:
        raise InvalidRequest(f"limit must be a whole number in 1..{maximum}", code="invalid_limit")
    return limit
