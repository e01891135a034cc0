"""Reading the upload API's answers (no sockets: bodies as the API documents them)."""

from __future__ import annotations

import json

import pytest

from reelstack_tools.uploader.api import (
    error_from_response,
    parse_parts,
    parse_session,
    parse_state,
    parse_timestamp,
    part_numbers_from,
)
from reelstack_tools.uploader.errors import ApiError


def test_a_session_is_read_from_post_uploads() -> None:
    body = {
        "upload_id": "u",
        "video_id": "v",
        "chunk_size": 1048576,
        "chunk_count": 4,
        "mode": "staged",
        "expires_at": "2030-01-01T00:00:00.000Z",
    }
    session = parse_session(body)
    assert (session.upload_id, session.video_id, session.chunk_count, session.mode) == ("u", "v", 4, "staged")


def test_an_answer_missing_a_field_is_a_bad_response() -> None:
    # GIVEN an answer without chunk_size WHEN read THEN ApiError bad_response
    with pytest.raises(ApiError) as caught:
        parse_session({"upload_id": "u", "video_id": "v", "chunk_count": 1})
    assert caught.value.code == "bad_response"


def test_part_targets_keep_headers_exactly_and_read_expiry() -> None:
    # GIVEN a parts answer with the headers the presigned URL binds
    body = {
        "parts": [
            {
                "part_number": 2,
                "url": "http://127.0.0.1:5000/b/k?X-Amz-Signature=abc",
                "method": "PUT",
                "headers": {
                    "Content-Type": "application/octet-stream",
                    "Content-Length": 1024,
                    "x-amz-checksum-sha256": "Zm9v",
                },
                "expires_at": "2030-01-01T00:00:00.000Z",
            }
        ]
    }
    # WHEN read THEN header names are untouched, values are strings, and the expiry is epoch seconds
    (target,) = parse_parts(body)
    assert target.part_number == 2 and target.method == "PUT"
    assert target.headers == {
        "Content-Type": "application/octet-stream",
        "Content-Length": "1024",
        "x-amz-checksum-sha256": "Zm9v",
    }
    assert target.expires_at == parse_timestamp("2030-01-01T00:00:00+00:00")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2030-01-01T00:00:00Z", 1893456000.0),
        (1893456000, 1893456000.0),
        ("2030-01-01T00:00:00", None),
        ("soon", None),
        (None, None),
    ],
)
def test_timestamps_are_epoch_or_zoned_iso(value: object, expected: float | None) -> None:
    assert parse_timestamp(value) == expected


def test_upload_state_lists_received_and_missing_parts() -> None:
    body = {
        "upload_id": "u",
        "video_id": "v",
        "status": "OPEN",
        "chunk_size": 1,
        "chunk_count": 5,
        "size": 5,
        "received_parts": [4, 1],
        "missing_parts": [2, 3, 5],
    }
    state = parse_state(body)
    assert (state.status, state.received_parts, state.missing_parts, state.size) == (
        "OPEN",
        (1, 4),
        (2, 3, 5),
        5,
    )


def test_part_numbers_come_as_ints_or_as_objects() -> None:
    # GIVEN a 409 missing_parts list and a part_size_mismatch list WHEN read THEN both give part numbers
    assert part_numbers_from([5, 2, 2]) == [2, 5]
    assert part_numbers_from([{"part_number": 3, "expected": 10, "actual": 9}, {"part": 1}]) == [1, 3]
    assert part_numbers_from(None) == []


def test_error_bodies_keep_code_message_and_details() -> None:
    # GIVEN the API's error body WHEN read THEN code, message and the other fields are kept
    raw = json.dumps({"code": "missing_parts", "message": "2 of 5 missing", "missing_parts": [2, 5]}).encode()
    error = error_from_response(409, raw)
    assert (error.status, error.code, error.message, error.details) == (
        409,
        "missing_parts",
        "2 of 5 missing",
        {"missing_parts": [2, 5]},
    )
    assert "missing_parts" in str(error) and "409" in str(error)


def test_non_json_errors_still_have_a_code() -> None:
    # GIVEN a gateway's HTML or a {"Message": ...} answer WHEN read THEN the code is http_<status>
    assert error_from_response(502, b"<html>Bad Gateway</html>").code == "http_502"
    gateway = error_from_response(403, b'{"Message": "Missing Authentication Token"}')
    assert (gateway.code, gateway.message) == ("http_403", "Missing Authentication Token")
