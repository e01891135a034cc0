"""`complete` when the merge function cannot be started, and the merge sweeper, on the local cloud.

The upload service runs in-process against the local cloud's tables and bucket with the real merge
function behind an invoker that refuses when told to (as a throttled or unreachable Lambda would);
the sweeper runs as the template's scheduled function, fired on demand.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

import pytest

from reelstack.adapters.functions import AsyncInvoker
from reelstack.clock import iso, utc_now
from reelstack.domain.identity import Principal
from reelstack.domain.media.uploads import UploadStatus
from reelstack.domain.videos import VideoStatus
from reelstack.errors import DependencyFailed
from reelstack.services.media.uploads import UploadService
from reelstack.settings import UploadLimits
from reelstack_tools.tokens import user_sub
from tests.support.cloud_stores import media_storage, repositories
from tests.support.http import Api, split
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
MiB = 1024 * 1024
SWEEP_SCHEDULE = "MergeSweeperFunctionSweep"


class RefusingInvoker:
    """The merge function's invoker, refusing its first `refusals` invokes (None: every one)."""

    def __init__(self, real: AsyncInvoker, refusals: int | None = 1) -> None:
        self.real = real
        self.refusals = refusals
        self.calls = 0

    def invoke(self, payload: dict[str, Any]) -> None:
        self.calls += 1
        if self.refusals is None or self.calls <= self.refusals:
            raise DependencyFailed("invoking the merge function failed: TooManyRequestsException")
        self.real.invoke(payload)


@pytest.fixture
def merge_invoker(local_cloud: Any) -> AsyncInvoker:
    return AsyncInvoker(local_cloud.name("MergeFunction"), lambda_client=local_cloud.client("lambda"))


def _service(local_cloud: Any, merger: Any) -> UploadService:
    return UploadService(
        storage=media_storage(local_cloud),
        repos=repositories(local_cloud),
        merger=merger,
        limits=UploadLimits(),
        presign_expiry_seconds=900,
    )


def _staged_upload(api: Api, seed: int) -> tuple[dict[str, Any], bytes]:
    """An upload of 1 MiB staged chunks (merged by the merge function), every chunk in."""
    data = random.Random(seed).randbytes(int(2.5 * MiB))
    opened = api.open_upload(data, MiB)
    assert opened.status == 201, opened.body
    assert all(reply.status == 200 for reply in api.put_chunks(opened.body["upload_id"], split(data, MiB)))
    return opened.body, data


def _upload_status(api: Api, upload_id: str) -> str:
    return str(api.call("GET", f"/uploads/{upload_id}").body["status"])


def _original(cloud_s3: Any, bucket: str, video_id: str) -> bytes:
    return bytes(cloud_s3.get_object(Bucket=bucket, Key=f"originals/{video_id}")["Body"].read())


def test_a_retried_complete_starts_the_merge_the_first_one_could_not(
    local_cloud: Any,
    cloud_sdk_environment: Any,
    alice: Api,
    merge_invoker: AsyncInvoker,
    cloud_s3: Any,
    media_bucket: str,
) -> None:
    # GIVEN alice's staged upload, every chunk in, and a merge function whose first invoke is refused
    opened, data = _staged_upload(alice, seed=51)
    invoker = RefusingInvoker(merge_invoker, refusals=1)
    service = _service(local_cloud, invoker)
    alice_principal = Principal(user_id=user_sub("alice"), username="alice")
    # WHEN she completes it THEN the refusal surfaces (the API answers 503), the upload is MERGING
    with pytest.raises(DependencyFailed):
        service.complete(alice_principal, opened["upload_id"])
    assert _upload_status(alice, opened["upload_id"]) == "MERGING"
    # WHEN she completes it again
    accepted = service.complete(alice_principal, opened["upload_id"])
    # THEN the merge function is invoked this time, and the original lands byte for byte
    assert (accepted.video_id, accepted.status) == (opened["video_id"], "PROCESSING")
    assert invoker.calls == 2
    assert wait_for(lambda: _upload_status(alice, opened["upload_id"]) == "COMPLETED", timeout=90)
    assert _original(cloud_s3, media_bucket, opened["video_id"]) == data
    # AND a third complete, the merge done, invokes nothing
    assert service.complete(alice_principal, opened["upload_id"]).upload_status == "COMPLETED"
    assert invoker.calls == 2


def _stuck(
    local_cloud: Any, alice: Api, merge_invoker: AsyncInvoker, seed: int
) -> tuple[dict[str, Any], bytes]:
    """An upload left MERGING by a complete whose invoke was refused, backdated 10 minutes."""
    opened, data = _staged_upload(alice, seed)
    service = _service(local_cloud, RefusingInvoker(merge_invoker, refusals=None))
    with pytest.raises(DependencyFailed):
        service.complete(Principal(user_id=user_sub("alice"), username="alice"), opened["upload_id"])
    uploads = repositories(local_cloud).tables.uploads
    ten_minutes_ago = iso(utc_now() - timedelta(minutes=10))
    uploads(upload_id=opened["upload_id"]).update(actions=[uploads.merge_started_at.set(ten_minutes_ago)])
    return opened, data


def test_the_sweeper_finishes_a_stuck_merge_and_fails_one_whose_chunks_are_gone(
    local_cloud: Any,
    cloud_sdk_environment: Any,
    alice: Api,
    merge_invoker: AsyncInvoker,
    cloud_s3: Any,
    media_bucket: str,
) -> None:
    # GIVEN two uploads stuck in MERGING for 10 minutes, the merge function never handed either;
    # the staged chunks of the second are gone (the bucket's lifecycle rule expired them)
    finishable, data = _stuck(local_cloud, alice, merge_invoker, seed=52)
    lost, _ = _stuck(local_cloud, alice, merge_invoker, seed=53)
    staged = cloud_s3.list_objects_v2(Bucket=media_bucket, Prefix=f"staging/{lost['upload_id']}/")
    cloud_s3.delete_objects(
        Bucket=media_bucket, Delete={"Objects": [{"Key": item["Key"]} for item in staged["Contents"]]}
    )
    # WHEN the sweep schedule fires
    results = local_cloud.fire_schedule(SWEEP_SCHEDULE)
    # THEN the first is handed to the merge function again and completes with its bytes
    assert results, results
    assert wait_for(lambda: _upload_status(alice, finishable["upload_id"]) == "COMPLETED", timeout=90)
    assert _original(cloud_s3, media_bucket, finishable["video_id"]) == data
    # AND the second is FAILED with chunks_missing, and so is its video
    upload = alice.call("GET", f"/uploads/{lost['upload_id']}").body
    assert (upload["status"], upload["failure"]["code"]) == ("FAILED", "chunks_missing"), upload
    video = alice.call("GET", f"/videos/{lost['video_id']}").body
    assert (video["status"], video["failure"]["code"]) == ("FAILED", "chunks_missing"), video
    # AND neither is listed as merging any more (the sparse index holds MERGING uploads only)
    record = repositories(local_cloud).tables.uploads.get(lost["upload_id"], consistent_read=True)
    assert record.merging_shard is None


def test_the_sweeper_finishes_a_multipart_upload_whose_complete_died_before_s3_merged_it(
    local_cloud: Any,
    cloud_sdk_environment: Any,
    alice: Api,
    cloud_s3: Any,
    media_bucket: str,
) -> None:
    # GIVEN alice's upload of 5 MiB multipart parts without a declared hash (S3 merges those in
    # `complete` itself), every part in, left MERGING 10 minutes ago by a complete that died before
    # CompleteMultipartUpload
    data = random.Random(54).randbytes(6 * MiB)
    opened = alice.open_upload(data, 5 * MiB)
    assert (opened.status, opened.body["mode"]) == (201, "multipart"), opened.body
    upload_id, video_id = opened.body["upload_id"], opened.body["video_id"]
    assert all(reply.status == 200 for reply in alice.put_chunks(upload_id, split(data, 5 * MiB)))
    repos = repositories(local_cloud)
    ten_minutes_ago = iso(utc_now() - timedelta(minutes=10))
    assert repos.transition_upload(
        upload_id,
        [UploadStatus.OPEN],
        UploadStatus.MERGING,
        ten_minutes_ago,
        merge_started_at=ten_minutes_ago,
    )
    assert repos.transition_video(video_id, [VideoStatus.UPLOADING], VideoStatus.PROCESSING, ten_minutes_ago)
    # WHEN the sweep schedule fires
    assert local_cloud.fire_schedule(SWEEP_SCHEDULE)
    # THEN the merge function completes the multipart upload in place and the original is whole
    # (before, it copied originals/{video_id} onto itself and deleted it)
    assert wait_for(lambda: _upload_status(alice, upload_id) == "COMPLETED", timeout=90)
    assert _original(cloud_s3, media_bucket, video_id) == data
