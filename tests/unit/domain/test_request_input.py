"""Bounded input cost (domain.request_input and the upload rules): body caps before parsing, malformed
JSON as 400, page sizes in ASCII digits only, counts checked before any loop."""

from __future__ import annotations

import json
from typing import Any

import pytest

from reelstack.domain.media.uploads import (
    MAX_PARTS_PER_REQUEST,
    PART_REQUEST_BODY_CAP,
    open_upload_body_cap,
    parse_part_request,
    parse_upload_request,
)
from reelstack.domain.request_input import DEFAULT_BODY_CAP, parse_json_body, parse_limit, text_body_cap
from reelstack.errors import InvalidRequest, TooLarge
from reelstack.settings import UploadLimits

LIMITS = UploadLimits()


class Untouchable(list):  # type: ignore[type-arg]
    """A list whose elements must not be looked at: proves a count check comes before the loop."""

    def __iter__(self) -> Any:
        raise AssertionError("the elements were iterated before the count was checked")


def test_a_body_over_the_cap_is_refused_before_parsing() -> None:
    # GIVEN 1 MiB of garbage WHEN parsed under a 4 KiB cap THEN 413 body_too_large, not a parse error
    with pytest.raises(TooLarge) as refused:
        parse_json_body(b"x" * (1024 * 1024), DEFAULT_BODY_CAP)
    assert refused.value.code == "body_too_large"
    assert refused.value.details["max_body_bytes"] == DEFAULT_BODY_CAP


def test_deep_nesting_is_invalid_json_not_a_crash() -> None:
    # GIVEN 100,000 '[' (json recurses once per bracket: RecursionError) WHEN parsed THEN 400 invalid_json
    with pytest.raises(InvalidRequest) as refused:
        parse_json_body(b"[" * 100_000, 200_000)
    assert refused.value.code == "invalid_json"


@pytest.mark.parametrize("raw", [b"{not json", b"\xff\xfe", b'{"a": NaN}', b"[Infinity]", b"1" * 5000])
def test_malformed_bodies_are_invalid_json(raw: bytes) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_json_body(raw, 10_000)
    assert refused.value.code == "invalid_json"


def test_an_empty_body_is_an_empty_object() -> None:
    assert parse_json_body(b"", DEFAULT_BODY_CAP) == {} and parse_json_body(b"  \n", 10) == {}


@pytest.mark.parametrize(
    "text", ["²", "\u0661\u0660", "\uff11\uff10", "+5", " 5", "5_0", "-1", "0", "101", "1e2", "9" * 40]
)
def test_a_page_size_is_ascii_digits_in_range(text: str) -> None:
    # GIVEN a superscript, other scripts' digits, signs, spaces, underscores or out-of-range numbers
    # WHEN parsed as a limit THEN 400 invalid_limit (int() accepts several of them; isdigit() '²')
    with pytest.raises(InvalidRequest) as refused:
        parse_limit(text, default=20, maximum=100)
    assert refused.value.code == "invalid_limit"


def test_a_page_size_defaults_and_parses() -> None:
    assert parse_limit(None, default=20, maximum=100) == 20
    assert parse_limit("", default=20, maximum=100) == 20
    assert parse_limit("100", default=20, maximum=100) == 100


def test_too_many_part_numbers_are_refused_before_any_is_looked_at() -> None:
    # GIVEN 491,520 part numbers (the review's case: 23 s of quadratic de-duplication)
    numbers = Untouchable([1] * 491_520)
    # WHEN parsed THEN too_many_parts, without iterating them
    with pytest.raises(InvalidRequest) as refused:
        parse_part_request({"part_numbers": numbers}, chunk_count=10_000)
    assert refused.value.code == "too_many_parts"


def test_part_numbers_are_deduplicated_in_order_at_the_limit() -> None:
    # GIVEN the most numbers one request may carry, every one twice over half of them
    numbers = [n for n in range(1, MAX_PARTS_PER_REQUEST // 2 + 1) for _ in range(2)]
    # WHEN parsed THEN each appears once, in asked order
    request = parse_part_request({"part_numbers": numbers}, chunk_count=10_000)
    assert request.part_numbers == tuple(range(1, MAX_PARTS_PER_REQUEST // 2 + 1))


@pytest.mark.parametrize("key", ["²", "\u0661", " 1", "1_0", "+1"])
def test_checksum_keys_are_ascii_part_numbers(key: str) -> None:
    checksum = "A" * 43 + "="
    with pytest.raises(InvalidRequest) as refused:
        parse_part_request({"part_numbers": [1], "checksums": {key: checksum}}, chunk_count=10)
    assert refused.value.code == "invalid_checksum"


def test_too_many_tags_are_refused_before_any_is_looked_at() -> None:
    # GIVEN 80,000 unique tags (the review's case: 29 s, then a 504)
    tags = Untouchable(f"t{n}" for n in range(80_000))
    body = {"filename": "clip.mp4", "size": 1024, "content_type": "video/mp4", "tags": tags}
    # WHEN the upload is declared THEN too_many_tags, without iterating them
    with pytest.raises(InvalidRequest) as refused:
        parse_upload_request(body, LIMITS)
    assert (refused.value.code, refused.value.details["max_tags"]) == ("too_many_tags", LIMITS.max_tags)


def test_the_largest_legitimate_bodies_fit_their_caps() -> None:
    # GIVEN the longest open-upload body (every text field full of astral characters, escaped as
    # json.dumps does) and the longest presign body (1,000 parts with checksums, pretty-printed)
    emoji = "\U0001f3ac"
    opened = {
        "filename": emoji * 251 + ".mp4",
        "size": 2 * 1024**3,
        "content_type": "video/mp4",
        "chunk_size": 64 * 1024**2,
        "sha256": "a" * 64,
        "title": emoji * LIMITS.max_title_length,
        "tags": [emoji * 50 for _ in range(LIMITS.max_tags)],
    }
    numbers = list(range(9_001, 10_001))
    parts = {
        "part_numbers": numbers,
        "checksums": {str(n): "A" * 43 + "=" for n in numbers},
        "expires_in": 900,
    }
    # WHEN encoded THEN each fits its route's cap
    assert len(json.dumps(opened).encode()) <= open_upload_body_cap(LIMITS)
    assert len(json.dumps(parts, indent=2).encode()) <= PART_REQUEST_BODY_CAP
    # AND the caps stay small: ~20 KiB and ~127 KiB, against the 10 MB API Gateway allows
    assert open_upload_body_cap(LIMITS) < 24 * 1024 and PART_REQUEST_BODY_CAP <= 128 * 1024
    assert text_body_cap(1000) < 16 * 1024
