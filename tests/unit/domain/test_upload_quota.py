"""The open-upload quota's decision: how many uploads and how many declared bytes one user may hold open."""

from __future__ import annotations

import pytest

from reelstack.domain.media.upload_quota import LISTED_IN_REFUSAL, OpenUpload, OpenUploadQuota, check_room
from reelstack.errors import Conflict

GiB = 1024**3
QUOTA = OpenUploadQuota(max_open=5, max_bytes=4 * GiB)


def _open(count: int, size: int = 1024) -> list[OpenUpload]:
    return [OpenUpload(f"u-{n}", size, f"2026-12-05T00:00:{n:02d}.000Z") for n in range(count)]


def test_below_both_limits_an_upload_opens() -> None:
    # GIVEN three open uploads of 1 GiB WHEN a fourth of 1 GiB is asked for THEN it fits exactly
    check_room(QUOTA, _open(3, GiB), GiB)
    # AND with four small ones open, a fifth small one still opens
    check_room(QUOTA, _open(4), 1)


def test_the_one_past_the_count_is_refused_with_the_open_uploads_listed() -> None:
    # GIVEN five small open uploads WHEN a sixth is asked for
    with pytest.raises(Conflict) as refused:
        check_room(QUOTA, _open(5), 1)
    # THEN 409 too_many_open_uploads, saying how to free one and listing them, soonest to expire first
    error = refused.value
    assert error.code == "too_many_open_uploads"
    assert "complete or abort" in error.message
    assert [upload["upload_id"] for upload in error.details["open_uploads"]] == [f"u-{n}" for n in range(5)]
    assert (error.details["open_count"], error.details["max_open_uploads"]) == (5, 5)


def test_bytes_beyond_the_quota_are_refused() -> None:
    # GIVEN 3 GiB open in two uploads WHEN one more of 1 GiB + 1 byte is asked for
    with pytest.raises(Conflict) as refused:
        check_room(QUOTA, _open(2, 3 * GiB // 2), GiB + 1)
    # THEN 409 upload_bytes_quota with the bytes in flight
    assert refused.value.code == "upload_bytes_quota"
    assert refused.value.details["bytes_in_flight"] == 3 * GiB
    assert "complete or abort" in refused.value.message


def test_zero_turns_a_limit_off_and_the_list_is_bounded() -> None:
    # GIVEN no count limit WHEN a hundred uploads are open THEN one more opens
    check_room(OpenUploadQuota(max_open=0, max_bytes=0), _open(100), GiB)
    # AND a refusal lists a bounded number of them
    with pytest.raises(Conflict) as refused:
        check_room(OpenUploadQuota(max_open=100, max_bytes=0), _open(100), 1)
    assert len(refused.value.details["open_uploads"]) == LISTED_IN_REFUSAL


def test_a_negative_quota_is_a_configuration_error() -> None:
    with pytest.raises(ValueError):
        OpenUploadQuota(max_open=-1, max_bytes=0)
