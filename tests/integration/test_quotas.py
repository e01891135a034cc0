"""Per-user quotas through the real API on the local cloud (issue 11): one user's token buckets on reads
and uploads, and the quota on open uploads and their bytes, with the template's default limits.

Each test is a user of its own (the session's cloud is shared: alice and bob read and upload a lot in
other modules), and the limits are read from the template's defaults, not restated here.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from reelstack.clock import iso, utc_now
from reelstack.domain.engagement.rate_limits import parse_rate_limits
from reelstack.domain.media.uploads import UploadStatus
from reelstack.settings import RateLimitSettings
from tests.support.cloud_stores import repositories
from tests.support.http import Api, Reply, put

pytestmark = pytest.mark.integration
MiB = 1024 * 1024
TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture(scope="module")
def defaults() -> dict[str, int]:
    """The template's defaults for the quota (what the session's cloud runs with)."""
    from reelstack_tools.localcloud.cfn_yaml import load

    parameters = load(TEMPLATE)["Parameters"]
    names = ("MaxOpenUploads", "MaxUploadBytesInFlight", "MaxUploadBytes")
    return {name: int(parameters[name]["Default"]) for name in names}


def _user(local_cloud: Any) -> Api:
    return Api(local_cloud.api_url, local_cloud.token(f"quota-user-{uuid.uuid4().hex[:10]}"))


def _open(api: Api, size: int = MiB) -> Reply:
    return api.call("POST", "/uploads", {"filename": "clip.mp4", "size": size, "content_type": "video/mp4"})


def _open_many(api: Api, count: int, size: int = MiB) -> list[str]:
    ids = []
    for _ in range(count):
        opened = _open(api, size)
        assert opened.status == 201, opened.body
        ids.append(str(opened.body["upload_id"]))
    return ids


def _refusals(replies: list[Reply]) -> list[Reply]:
    return [reply for reply in replies if reply.status == 429]


def _check_rate_limited(refused: list[Reply]) -> None:
    assert refused
    assert {reply.body["code"] for reply in refused} == {"rate_limited"}
    assert all(int(reply.headers["Retry-After"]) >= 1 for reply in refused)


# -- token buckets -----------------------------------------------------------------------------------
def test_one_users_reads_beyond_the_burst_get_429_while_another_users_still_pass(local_cloud: Any) -> None:
    # GIVEN one user and the read bucket (RateLimits's default)
    bucket = parse_rate_limits(RateLimitSettings().rate_limits)["read"]
    reader, other = _user(local_cloud), _user(local_cloud)
    count = 4 * bucket.burst
    # WHEN they read their notifications 4 x burst times from 8 threads at once
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda _: reader.call("GET", "/notifications"), range(count)))
    elapsed = time.monotonic() - started
    # THEN the reads beyond what the bucket holds (burst + refill meanwhile) are 429 rate_limited with a
    # Retry-After, the rest are answered
    refused = _refusals(replies)
    _check_rate_limited(refused)
    assert {reply.status for reply in replies} == {200, 429}
    passed = count - len(refused)
    assert passed <= bucket.burst + bucket.rate_per_s * elapsed + 1, (passed, elapsed)
    print(
        f"reads: {passed} of {count} passed in {elapsed:.1f} s (burst {bucket.burst}, {bucket.rate_per_s}/s)"
    )
    # AND another user's reads, right after, pass
    assert [other.call("GET", "/notifications").status for _ in range(5)] == [200] * 5


def test_one_users_uploads_beyond_the_bucket_get_429_before_their_body_is_read(local_cloud: Any) -> None:
    # GIVEN one user and the upload bucket
    bucket = parse_rate_limits(RateLimitSettings().rate_limits)["upload"]
    uploader = _user(local_cloud)
    count = 3 * bucket.burst
    # WHEN they send 3 x burst opens with an empty declaration from 8 threads at once
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(lambda _: uploader.call("POST", "/uploads", {}), range(count)))
    elapsed = time.monotonic() - started
    # THEN those beyond the bucket are 429 rate_limited with a Retry-After; the others were read and
    # refused as invalid (a token is taken before the body is parsed)
    refused = _refusals(replies)
    _check_rate_limited(refused)
    assert {reply.status for reply in replies} == {400, 429}
    assert count - len(refused) <= bucket.burst + bucket.rate_per_s * elapsed + 1, elapsed
    # AND the presign route has its own bucket: it still answers (404 for an upload that is not there)
    assert uploader.call("POST", "/uploads/no-such-upload/parts", {"part_numbers": [1]}).status == 404


# -- open uploads ------------------------------------------------------------------------------------
def test_the_open_upload_past_the_quota_is_refused_and_aborting_or_completing_frees_a_slot(
    local_cloud: Any, defaults: dict[str, int]
) -> None:
    # GIVEN a user holding as many open uploads as the quota allows
    user = _user(local_cloud)
    limit = defaults["MaxOpenUploads"]
    ids = _open_many(user, limit)
    # WHEN they open one more THEN 409 too_many_open_uploads, saying how to free one and listing theirs
    refused = _open(user)
    assert (refused.status, refused.body["code"]) == (409, "too_many_open_uploads"), refused.body
    assert "abort" in refused.body["message"] and "complete" in refused.body["message"]
    assert {upload["upload_id"] for upload in refused.body["open_uploads"]} == set(ids)
    # AND after aborting one, one more opens (and the quota is full again)
    assert user.call("DELETE", f"/uploads/{ids[0]}").status == 200
    assert _open(user).status == 201
    assert _open(user).status == 409
    # AND after completing one (its one chunk in), one more opens
    completed = _send_and_complete(user, ids[1])
    assert completed.status == 202, completed.body
    assert _open(user).status == 201


def _send_and_complete(user: Api, upload_id: str) -> Reply:
    """PUT the one chunk of an upload opened by `_open` (1 MiB in one chunk), then complete it."""
    signed = user.call("POST", f"/uploads/{upload_id}/parts", {"part_numbers": [1]})
    assert signed.status == 200, signed.body
    part = signed.body["parts"][0]
    assert put(part, b"\0" * int(part["size"])).status == 200
    return user.call("POST", f"/uploads/{upload_id}/complete")


def test_bytes_in_flight_beyond_the_quota_are_refused(local_cloud: Any, defaults: dict[str, int]) -> None:
    # GIVEN a user whose open uploads of the largest size declare all the bytes the quota allows
    user = _user(local_cloud)
    largest, quota = defaults["MaxUploadBytes"], defaults["MaxUploadBytesInFlight"]
    assert quota // largest < defaults["MaxOpenUploads"]  # the bytes, not the count, are what is met
    _open_many(user, quota // largest, size=largest)
    room = quota - (quota // largest) * largest
    # WHEN they open one byte more than is left THEN 409 upload_bytes_quota with the bytes in flight
    refused = _open(user, size=room + 1)
    assert (refused.status, refused.body["code"]) == (409, "upload_bytes_quota"), refused.body
    assert refused.body["bytes_in_flight"] == quota - room
    assert "abort" in refused.body["message"]


def test_an_expired_upload_no_longer_counts(
    local_cloud: Any, cloud_sdk_environment: Any, defaults: dict[str, int]
) -> None:
    # GIVEN a user at the open-upload quota
    user = _user(local_cloud)
    ids = _open_many(user, defaults["MaxOpenUploads"])
    assert _open(user).status == 409
    # WHEN one of the uploads expires (its expires_at moved into the past in the table; the record stays
    # until the TTL removes it days later)
    tables = repositories(local_cloud).tables
    past = iso(utc_now() - timedelta(seconds=1))
    tables.uploads(upload_id=ids[0]).update(actions=[tables.uploads.expires_at.set(past)])
    assert user.call("GET", f"/uploads/{ids[0]}").body["status"] == "EXPIRED"
    # THEN one more opens, and only one
    assert _open(user).status == 201
    assert _open(user).status == 409


def test_an_upload_moved_back_to_open_counts_again(local_cloud: Any, cloud_sdk_environment: Any) -> None:
    # GIVEN a user's open upload, counted (the sparse index lists it under its owner)
    user = _user(local_cloud)
    (upload_id,) = _open_many(user, 1)
    repos = repositories(local_cloud)
    session = repos.get_upload(upload_id)
    assert session is not None
    now = iso(utc_now())
    assert [upload.upload_id for upload in repos.open_uploads_of(session.owner, now)] == [upload_id]
    # WHEN complete moves it to MERGING THEN it no longer counts
    assert repos.transition_upload(upload_id, [UploadStatus.OPEN], UploadStatus.MERGING, now)
    assert repos.open_uploads_of(session.owner, now) == []
    # AND when a failed server-side merge moves it back to OPEN (its owner given) it counts again
    with pytest.raises(ValueError):
        repos.transition_upload(upload_id, [UploadStatus.MERGING], UploadStatus.OPEN, now)
    assert repos.transition_upload(
        upload_id, [UploadStatus.MERGING], UploadStatus.OPEN, now, owner=session.owner
    )
    assert [upload.upload_id for upload in repos.open_uploads_of(session.owner, now)] == [upload_id]
