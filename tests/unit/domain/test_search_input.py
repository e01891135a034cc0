"""What a search request may say (domain.distribution.search_input): known parameters once each, a bounded visible
text, a folded tag, and cursors bound to their query with checked sort values."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from reelstack.domain.distribution.search_input import (
    SearchCursor,
    check_parameters,
    decode_cursor,
    query_key,
    query_text,
    tag_filter,
)
from reelstack.errors import InvalidRequest

KEY = query_key("surfing", None)


def _code(call: Any, *args: Any, **kwargs: Any) -> str:
    with pytest.raises(InvalidRequest) as refused:
        call(*args, **kwargs)
    return refused.value.code


def test_parameters_are_known_and_given_once() -> None:
    allowed = {"q", "limit"}

    assert check_parameters({"q": ["a"], "limit": ["5"]}, allowed) == {"q": "a", "limit": "5"}
    assert _code(check_parameters, {"q": ["a"], "size": ["5"]}, allowed) == "unknown_parameter"
    assert _code(check_parameters, {"q": ["a", "b"]}, allowed) == "repeated_parameter"


def test_the_text_is_normalised_and_bounded() -> None:
    """GIVEN texts WHEN checked THEN NFC with spaces collapsed; empty, blank, invisible or long refused."""
    assert query_text("  Cafe\u0301   au  lait ", max_chars=20) == "Café au lait"
    assert query_text("🏄‍♀️", max_chars=20) == "🏄‍♀️"
    for raw in (None, "", "   ", "\t\n", "a\u200bb", "x\x07"):
        assert _code(query_text, raw, max_chars=20) == "invalid_query"
    assert _code(query_text, "x" * 21, max_chars=20) == "query_too_long"
    assert _code(query_text, "x" * 10_000, max_chars=20) == "query_too_long"
    assert query_text("x" * 20, max_chars=20) == "x" * 20


def test_the_tag_is_folded_as_stored() -> None:
    assert tag_filter(None) is None
    assert tag_filter(" Cats ") == "cats"
    for raw in ("", "  ", "t" * 51, "a\u202eb"):
        assert _code(tag_filter, raw) == "invalid_tag"


def test_a_cursor_round_trips_for_its_own_query_only() -> None:
    cursor = SearchCursor(KEY, 1_780_000_000_000, (2.5, 1_779_000_000_000, "v1")).encode()

    assert decode_cursor(cursor, KEY) == SearchCursor(KEY, 1_780_000_000_000, (2.5, 1_779_000_000_000, "v1"))
    assert _code(decode_cursor, cursor, query_key("surfing", "ocean")) == "invalid_cursor"
    assert _code(decode_cursor, cursor, query_key("kayak", None)) == "invalid_cursor"


def _forged(data: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


GOOD = {"v": 1, "k": KEY, "t": 1, "a": [1.0, 2, "v1"]}
FORGED = [
    "",  # treated as none by the service; here: not base64 JSON
    "%%%",
    "é",
    "x" * 2000,
    _forged([1, 2]),
    _forged(GOOD | {"v": 2}),
    _forged(GOOD | {"v": True}),
    _forged(GOOD | {"extra": 1}),
    _forged({key: value for key, value in GOOD.items() if key != "t"}),
    _forged(GOOD | {"t": "1"}),
    _forged(GOOD | {"t": -1}),
    _forged(GOOD | {"a": [1.0, 2]}),
    _forged(GOOD | {"a": ["1", 2, "v1"]}),
    _forged(GOOD | {"a": [True, 2, "v1"]}),
    _forged(GOOD | {"a": [1.0, 2.5, "v1"]}),
    _forged(GOOD | {"a": [1.0, 2**70, "v1"]}),
    _forged(GOOD | {"a": [1.0, 2, 3]}),
    _forged(GOOD | {"a": [1.0, 2, "x" * 500]}),
    _forged(GOOD | {"a": [1.0, 2, {"script": "1"}]}),
    base64.urlsafe_b64encode(b'{"v":1,"k":"' + KEY.encode() + b'","t":1,"a":[NaN,2,"v1"]}').decode(),
]


@pytest.mark.parametrize("cursor", FORGED)
def test_forged_cursors_are_refused(cursor: str) -> None:
    """GIVEN a cursor this API did not give out (wrong shape, types, version, key) WHEN decoded
    THEN 400 invalid_cursor."""
    assert _code(decode_cursor, cursor, KEY) == "invalid_cursor"


def test_an_untouched_forgery_of_the_right_shape_is_just_a_position() -> None:
    """GIVEN a hand-made cursor of the right shape for this query WHEN decoded
    THEN it is accepted: it only says where a page starts, nothing else reaches the engine."""
    assert decode_cursor(_forged(GOOD), KEY).after == (1.0, 2, "v1")
