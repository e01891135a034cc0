"""What a search request may say: its parameters, its text and tag, and its page cursor.

Bad input answers 400 with a code: `unknown_parameter` (a parameter the route does not take, listed),
`repeated_parameter`, `invalid_query` (no text, only spaces, or control / invisible formatting
characters), `query_too_long`, `invalid_tag`, `invalid_cursor` (not one this API gave out for this
very query). The text is otherwise free: it is matched, never parsed (`domain.distribution.search_queries`).

A cursor is base64url JSON `{"v": 1, "k": key, "t": now_ms, "a": [score, published_ms, video_id]}`:
`k` binds it to the query (a short hash of the text and tag: a cursor of another search is refused),
`t` is the recency origin of the first page (every page scores alike), `a` the last hit's sort values,
each checked for its type before it reaches the engine. Pure: no SDK, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from reelstack.domain.text import unsafe_character
from reelstack.errors import InvalidRequest

CURSOR_VERSION = 1
MAX_CURSOR_CHARS = 1024
MAX_TAG_CHARS = 50  # as a stored tag (domain.media.uploads.MAX_TAG_LENGTH)
MAX_VIDEO_ID_CHARS = 128
_KEY_CHARS = 16


def check_parameters(params: Mapping[str, Sequence[str]], allowed: Collection[str]) -> dict[str, str]:
    """One value per known parameter; 400 `unknown_parameter` / `repeated_parameter` otherwise."""
    unknown = sorted(name for name in params if name not in allowed)
    if unknown:
        shown = [name[:64] for name in unknown[:10]]
        raise InvalidRequest(
            f"unknown query parameter(s): {', '.join(shown)}; this route takes {', '.join(sorted(allowed))}",
            code="unknown_parameter",
            parameters=shown,
        )
    repeated = sorted(name for name, values in params.items() if len(values) > 1)
    if repeated:
        raise InvalidRequest(
            f"give each parameter once: {', '.join(repeated)}", code="repeated_parameter", parameters=repeated
        )
    return {name: values[0] for name, values in params.items() if values}


def query_text(raw: str | None, *, max_chars: int) -> str:
    """The search text: NFC, spaces collapsed, 1..max_chars characters, nothing invisible."""
    if raw is None or not raw.strip():
        raise InvalidRequest("q (the text to search for) is required", code="invalid_query")
    if len(raw) > 4 * max_chars:  # NFC never shrinks text by more than this: skip the work
        raise _too_long(max_chars)
    bad = unsafe_character(raw)
    if bad is not None:
        raise InvalidRequest(
            f"q must not contain control or invisible formatting characters (U+{ord(bad):04X})",
            code="invalid_query",
        )
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if len(text) > max_chars:
        raise _too_long(max_chars)
    return text


def _too_long(max_chars: int) -> InvalidRequest:
    return InvalidRequest(
        f"q must be at most {max_chars} characters", code="query_too_long", max_chars=max_chars
    )


def tag_filter(raw: str | None) -> str | None:
    """The `tag=` filter, folded to lower case as tags are stored; None when absent."""
    if raw is None:
        return None
    tag = unicodedata.normalize("NFC", raw).strip().lower()
    if not tag or len(tag) > MAX_TAG_CHARS or unsafe_character(tag) is not None:
        raise InvalidRequest(
            f"tag must be 1..{MAX_TAG_CHARS} visible characters", code="invalid_tag", max_chars=MAX_TAG_CHARS
        )
    return tag


def plausible_video_id(video_id: str) -> bool:
    """A video id the index could hold (printable, bounded); anything else is simply not found."""
    return 0 < len(video_id) <= MAX_VIDEO_ID_CHARS and video_id.isprintable()


def query_key(text: str, tag: str | None) -> str:
    """A short hash of what is searched: a cursor carries it and is refused for any other search."""
    digest = hashlib.sha256(json.dumps([text, tag], ensure_ascii=False).encode()).hexdigest()
    return digest[:_KEY_CHARS]


@dataclass(frozen=True)
class SearchCursor:
    """Where the next page starts: the query it belongs to, the recency origin, the last sort values."""

    key: str
    now_ms: int
    after: tuple[float, int, str]

    def encode(self) -> str:
        data = {"v": CURSOR_VERSION, "k": self.key, "t": self.now_ms, "a": list(self.after)}
        return base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).decode()


def _refused() -> InvalidRequest:
    return InvalidRequest("the cursor is not one this API gave out for this search", code="invalid_cursor")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sort_values(values: Any) -> tuple[float, int, str]:
    """(score, published_ms, video_id), each of its own type, or `invalid_cursor`."""
    if not isinstance(values, list) or len(values) != 3:
        raise _refused()
    score, published, video_id = values
    if not (_is_int(score) or isinstance(score, float)) or not math.isfinite(score):
        raise _refused()
    if not _is_int(published) or not -(2**63) <= published < 2**63:
        raise _refused()
    if not isinstance(video_id, str) or not plausible_video_id(video_id):
        raise _refused()
    return float(score), published, video_id


def sort_values_of(values: Sequence[Any]) -> tuple[float, int, str]:
    """A hit's sort values as a cursor keeps them (the engine's answer checked like a caller's)."""
    return _sort_values(list(values))


def decode_cursor(cursor: str, key: str) -> SearchCursor:
    """The cursor of a previous page of the search `key`; 400 `invalid_cursor` for anything else."""
    if len(cursor) > MAX_CURSOR_CHARS or not cursor.isascii():
        raise _refused()
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise _refused() from None
    if not isinstance(data, dict) or set(data) != {"v", "k", "t", "a"}:
        raise _refused()
    if not _is_int(data["v"]) or data["v"] != CURSOR_VERSION:
        raise _refused()
    if data["k"] != key or not _is_int(data["t"]) or not 0 <= data["t"] < 2**53:
        raise _refused()
    return SearchCursor(key=key, now_ms=data["t"], after=_sort_values(data["a"]))
