"""Upload planning and validation: what a client may declare, and how its chunks are planned."""

from __future__ import annotations

import base64
import hashlib

import pytest

from reelstack.domain.media.uploads import (
    S3_MIN_PART_SIZE,
    UploadMode,
    check_chunks,
    coalesce_groups,
    expected_chunk_size,
    parse_part_request,
    parse_upload_request,
    part_number_from_staged_key,
    staged_chunk_key,
)
from reelstack.errors import InvalidRequest, TooLarge
from reelstack.settings import MiB, UploadLimits

LIMITS = UploadLimits()


def body(**overrides: object) -> dict[str, object]:
    return {"filename": "clip.mp4", "size": 10 * MiB, "content_type": "video/mp4", **overrides}


def test_default_chunks_are_one_mib_staged_objects() -> None:
    # GIVEN a 10 MiB video declared without a chunk size
    # WHEN the upload is planned
    request = parse_upload_request(body(), LIMITS)
    # THEN it is cut into 1 MiB chunks staged as objects, titled after the file
    assert (request.chunk_size, request.chunk_count, request.mode) == (MiB, 10, UploadMode.STAGED)
    assert request.title == "clip"


def test_chunks_of_five_mib_or_more_are_multipart_parts() -> None:
    # GIVEN chunks at S3's minimum part size and above
    # WHEN planned
    # THEN each chunk is an S3 multipart part, the last one shorter
    for chunk in (S3_MIN_PART_SIZE, 8 * MiB):
        request = parse_upload_request(body(size=21 * MiB, chunk_size=chunk), LIMITS)
        assert request.mode is UploadMode.MULTIPART
    assert parse_upload_request(body(size=21 * MiB, chunk_size=8 * MiB), LIMITS).chunk_count == 3
    assert expected_chunk_size(21 * MiB, 8 * MiB, 3) == 5 * MiB


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"size": 3 * 1024**3}, TooLarge, "too_large"),
        ({"content_type": "image/png"}, InvalidRequest, "unsupported_content_type"),
        ({"content_type": 7}, InvalidRequest, "unsupported_content_type"),
        ({"size": 0}, InvalidRequest, "invalid_field"),
        ({"size": True}, InvalidRequest, "invalid_field"),
        ({"size": "10"}, InvalidRequest, "invalid_field"),
        ({"filename": ""}, InvalidRequest, "invalid_field"),
        ({"filename": "a\nb.mp4"}, InvalidRequest, "invalid_field"),
        ({"chunk_size": 100 * 1024}, InvalidRequest, "invalid_chunk_size"),
        ({"sha256": "abc"}, InvalidRequest, "invalid_field"),
        ({"tags": "a,b"}, InvalidRequest, "invalid_field"),
        ({"tags": ["x" * 51]}, InvalidRequest, "invalid_field"),
        ({"title": "t" * 201}, InvalidRequest, "invalid_field"),
    ],
)
def test_bad_declarations_are_refused_with_a_code(
    overrides: dict[str, object], error: type, code: str
) -> None:
    # GIVEN a declaration that breaks one rule
    # WHEN it is validated
    # THEN it is refused with the matching error class and machine-readable code
    with pytest.raises(error) as raised:
        parse_upload_request(body(**overrides), LIMITS)
    assert raised.value.code == code


def test_a_body_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse_upload_request(["clip.mp4"], LIMITS)
    assert raised.value.code == "invalid_body"


def test_content_type_parameters_and_case_are_tolerated_and_tags_normalised() -> None:
    # GIVEN a content type with parameters and mixed-case duplicate tags
    request = parse_upload_request(
        body(content_type="Video/MP4; codecs=avc1", tags=["Cats", "cats ", "dogs"]), LIMITS
    )
    # THEN it is accepted and the tags are lower-cased and de-duplicated in order
    assert request.tags == ("cats", "dogs")


def test_exactly_ten_thousand_chunks_is_allowed_and_one_more_is_not() -> None:
    limits = UploadLimits(max_upload_bytes=10**12)
    assert (
        parse_upload_request(body(size=10_000 * 256 * 1024, chunk_size=256 * 1024), limits).chunk_count
        == 10_000
    )
    with pytest.raises(InvalidRequest):
        parse_upload_request(body(size=10_000 * 256 * 1024 + 1, chunk_size=256 * 1024), limits)


def test_part_requests_accept_any_order_and_repeats() -> None:
    # GIVEN part numbers out of order, repeated, with one checksum
    digest = base64.b64encode(hashlib.sha256(b"chunk").digest()).decode()
    request = parse_part_request({"part_numbers": [3, 1, 3, 2], "checksums": {"3": digest}}, chunk_count=3)
    # THEN each is answered once in the asked order, keyed checksums kept
    assert request.part_numbers == (3, 1, 2)
    assert request.checksums == {3: digest}


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"part_numbers": []}, "invalid_field"),
        ({"part_numbers": [0]}, "invalid_part_number"),
        ({"part_numbers": [4]}, "invalid_part_number"),
        ({"part_numbers": ["1"]}, "invalid_part_number"),
        ({"part_numbers": [1], "checksums": {"1": "not-base64"}}, "invalid_checksum"),
        ({"part_numbers": [1], "checksums": {"2": base64.b64encode(bytes(32)).decode()}}, "invalid_checksum"),
        ({"part_numbers": [1], "checksums": {"x": base64.b64encode(bytes(32)).decode()}}, "invalid_checksum"),
    ],
)
def test_bad_part_requests_are_refused(payload: dict[str, object], code: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        parse_part_request(payload, chunk_count=3)
    assert raised.value.code == code


def test_received_chunks_are_checked_for_presence_and_size() -> None:
    # GIVEN a 2.5 MiB upload in 1 MiB chunks where chunk 2 is missing and chunk 3 has the wrong size
    check = check_chunks(int(2.5 * MiB), MiB, {1: MiB, 3: MiB})
    # THEN the check lists chunk 2 as missing and chunk 3 as wrong-sized (expected 0.5 MiB)
    assert check.missing == (2,)
    assert check.wrong_size == ({"part_number": 3, "expected": MiB // 2, "actual": MiB},)
    assert not check.complete
    assert check_chunks(int(2.5 * MiB), MiB, {1: MiB, 2: MiB, 3: MiB // 2}).complete


def test_staged_chunks_are_coalesced_into_parts_of_at_least_five_mib() -> None:
    # GIVEN 21 one-MiB chunks and an 8 MiB merge target
    groups = coalesce_groups(chunk_count=21, chunk_size=MiB, target_part_size=8 * MiB)
    # THEN consecutive chunks form 8 MiB parts and only the last is shorter
    assert [list(g) for g in groups] == [list(range(1, 9)), list(range(9, 17)), list(range(17, 22))]
    # AND a target below S3's minimum is raised to it
    assert len(coalesce_groups(chunk_count=10, chunk_size=MiB, target_part_size=MiB)[0]) == 5


def test_staged_keys_round_trip_their_part_number() -> None:
    assert staged_chunk_key("u1", 7) == "staging/u1/00007"
    assert part_number_from_staged_key(staged_chunk_key("u1", 7)) == 7
    assert part_number_from_staged_key("staging/u1/assembled") is None
