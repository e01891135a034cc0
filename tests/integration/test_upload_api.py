"""The upload API against the local cloud: both chunk paths, resume, integrity, ownership, limits."""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.support.http import Api, put, split
from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration
MiB = 1024 * 1024


def video_bytes(size: int, seed: int) -> bytes:
    return random.Random(seed).randbytes(size)


def upload_all(api: Api, data: bytes, chunk_size: int, **extra: object) -> dict:
    opened = api.open_upload(data, chunk_size, **extra)
    assert opened.status == 201, opened.body
    chunks = split(data, chunk_size)
    order = list(chunks)
    random.Random(7).shuffle(order)  # chunks may arrive in any order
    assert all(r.status == 200 for r in api.put_chunks(opened.body["upload_id"], chunks, order))
    return opened.body


def test_one_mib_chunks_are_staged_then_merged_into_the_original(alice: Api, cloud_s3, media_bucket) -> None:
    # GIVEN a 3.5 MiB video uploaded as 1 MiB staged chunks, whole-file SHA-256 declared
    data = video_bytes(int(3.5 * MiB), seed=1)
    opened = upload_all(
        alice, data, MiB, sha256=hashlib.sha256(data).hexdigest(), title="Staged", tags=["Demo"]
    )
    assert (opened["mode"], opened["chunk_count"]) == ("staged", 4)
    # WHEN every chunk is in and the upload is completed
    status = alice.call("GET", f"/uploads/{opened['upload_id']}").body
    assert (status["received_parts"], status["missing_parts"]) == ([1, 2, 3, 4], [])
    done = alice.call("POST", f"/uploads/{opened['upload_id']}/complete")
    # THEN the answer is 202, the merge writes originals/{video_id} byte for byte, and the video is processing
    assert done.status == 202, done.body
    assert done.body["video_id"] == opened["video_id"]
    key = f"originals/{opened['video_id']}"
    assert wait_for(
        lambda: alice.call("GET", f"/uploads/{opened['upload_id']}").body["status"] == "COMPLETED"
    )
    assert cloud_s3.get_object(Bucket=media_bucket, Key=key)["Body"].read() == data
    # AND the staged chunks are freed once merged
    staged = cloud_s3.list_objects_v2(Bucket=media_bucket, Prefix=f"staging/{opened['upload_id']}/")
    assert staged.get("KeyCount", 0) == 0
    video = alice.call("GET", f"/videos/{opened['video_id']}").body
    assert (video["title"], video["tags"]) == ("Staged", ["demo"])
    # AND random bytes are no video: the workflow refuses them at Probe, keeping the original
    failed = wait_for(lambda: _final_video(alice, opened["video_id"]))
    assert (failed["status"], failed["failure"]["stage"], failed["failure"]["code"]) == (
        "FAILED",
        "Probe",
        "not_media",
    )
    assert cloud_s3.head_object(Bucket=media_bucket, Key=key)["ContentLength"] == len(data)


def _final_video(api: Api, video_id: str) -> dict | None:
    video = api.call("GET", f"/videos/{video_id}").body
    return video if video["status"] in ("FAILED", "PUBLISHED", "REJECTED") else None


def test_eight_mib_chunks_are_multipart_parts_merged_by_s3(alice: Api, cloud_s3, media_bucket) -> None:
    # GIVEN a 17 MiB video uploaded as 8 MiB multipart parts
    data = video_bytes(17 * MiB, seed=2)
    opened = upload_all(alice, data, 8 * MiB)
    assert (opened["mode"], opened["chunk_count"]) == ("multipart", 3)
    # WHEN completed
    done = alice.call("POST", f"/uploads/{opened['upload_id']}/complete")
    # THEN S3 has merged the parts server-side into the original at once
    assert done.status == 202, done.body
    assert done.body["upload_status"] == "COMPLETED"
    stored = cloud_s3.get_object(Bucket=media_bucket, Key=f"originals/{opened['video_id']}")["Body"].read()
    assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest()


def _drained(sqs: Any, queue_url: str) -> bool:
    """No message waiting in the queue and none being handled (received, not yet deleted)."""
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=names)["Attributes"]
    return all(attributes[name] == "0" for name in names)


def test_the_original_starts_exactly_one_ingest_execution(
    alice: Api, cloud_sfn, cloud_sqs: Any, ingest_state_machine, ingest_queue_url: str
) -> None:
    # GIVEN an upload completed twice (S3 also emits two ObjectCreated events for a multipart merge)
    data = video_bytes(6 * MiB, seed=3)
    opened = upload_all(alice, data, 5 * MiB)
    first = alice.call("POST", f"/uploads/{opened['upload_id']}/complete")
    second = alice.call("POST", f"/uploads/{opened['upload_id']}/complete")
    # THEN both answers are the same
    assert (first.status, second.status) == (202, 202)
    assert first.body["video_id"] == second.body["video_id"] == opened["video_id"]

    # AND exactly one execution, named after the video, runs it to its end (random bytes: FAILED at Probe)
    def executions() -> list[dict]:
        listed = cloud_sfn.list_executions(stateMachineArn=ingest_state_machine)["executions"]
        return [e for e in listed if e["name"] == opened["video_id"]]

    assert wait_for(lambda: [e for e in executions() if e["status"] != "RUNNING"])
    # (once the ingest queue has no message left waiting or in flight: any duplicate event was handled)
    assert wait_for(lambda: _drained(cloud_sqs, ingest_queue_url), timeout=60), (
        "the ingest queue did not drain"
    )
    assert len(executions()) == 1
    video = alice.call("GET", f"/videos/{opened['video_id']}").body
    assert video["status"] == "FAILED" and video["failure"]["code"] == "not_media"
    assert video["execution_arn"]
    assert [run["stage"] for run in video["timeline"]] == ["Admit", "Probe"]
    assert [run["outcome"] for run in video["timeline"]] == ["succeeded", "failed"]


def test_an_interrupted_upload_resumes_from_what_s3_holds(alice: Api) -> None:
    # GIVEN an upload interrupted after two of five chunks
    data = video_bytes(5 * MiB, seed=4)
    opened = alice.open_upload(data, MiB).body
    chunks = split(data, MiB)
    alice.put_chunks(opened["upload_id"], chunks, [1, 4])
    # WHEN the client asks what is missing
    status = alice.call("GET", f"/uploads/{opened['upload_id']}").body
    # THEN the server answers from S3 itself, and completing now lists the missing chunks
    assert (status["status"], status["received_parts"], status["missing_parts"]) == (
        "OPEN",
        [1, 4],
        [2, 3, 5],
    )
    early = alice.call("POST", f"/uploads/{opened['upload_id']}/complete")
    assert (early.status, early.body["code"], early.body["missing_parts"]) == (
        409,
        "missing_parts",
        [2, 3, 5],
    )
    # AND uploading just those completes it
    alice.put_chunks(opened["upload_id"], chunks, status["missing_parts"])
    assert alice.call("POST", f"/uploads/{opened['upload_id']}/complete").status == 202


def test_a_corrupted_chunk_is_rejected_by_its_checksum(alice: Api) -> None:
    # GIVEN a presigned URL bound to a chunk's SHA-256
    data = video_bytes(2 * MiB, seed=5)
    opened = alice.open_upload(data, MiB).body
    chunks = split(data, MiB)
    part = alice.presign(opened["upload_id"], [1], chunks).body["parts"][0]
    # WHEN bytes that differ from the checksummed chunk are PUT
    corrupted = bytearray(chunks[1])
    corrupted[1000] ^= 0xFF
    rejected = put(part, bytes(corrupted))
    # THEN S3 refuses them, nothing is stored, and the right bytes are then accepted
    assert rejected.status == 400
    assert "BadDigest" in str(rejected.body)
    assert alice.call("GET", f"/uploads/{opened['upload_id']}").body["missing_parts"] == [1, 2]
    assert put(part, chunks[1]).status == 200


def test_a_chunk_without_its_signed_checksum_header_is_refused(alice: Api) -> None:
    data = video_bytes(MiB, seed=6)
    opened = alice.open_upload(data, MiB).body
    part = alice.presign(opened["upload_id"], [1], split(data, MiB)).body["parts"][0]
    headers = {k: v for k, v in part["headers"].items() if k.lower() != "x-amz-checksum-sha256"}
    assert put(part | {"headers": headers}, data).status == 403


def test_an_expired_url_is_refused_and_a_fresh_one_works(alice: Api) -> None:
    # GIVEN a URL that expires after one second
    data = video_bytes(MiB, seed=8)
    opened = alice.open_upload(data, MiB).body
    part = alice.presign(opened["upload_id"], [1], split(data, MiB), expires_in=1).body["parts"][0]
    time.sleep(2.2)
    # WHEN it is used late THEN S3 answers 403, and asking again gives a working URL
    late = put(part, data)
    assert late.status == 403 and "expired" in str(late.body).lower()
    assert alice.put_chunks(opened["upload_id"], {1: data})[0].status == 200


def test_only_the_uploader_can_use_an_upload(alice: Api, bob: Api) -> None:
    # GIVEN alice's open upload
    data = video_bytes(MiB, seed=9)
    opened = alice.open_upload(data, MiB).body
    upload_id = opened["upload_id"]
    # WHEN bob reads, presigns, completes or aborts it THEN each is 404, as for an upload that does not
    # exist (a 403 would tell him the id is real)
    for method, path, body in [
        ("GET", f"/uploads/{upload_id}", None),
        ("POST", f"/uploads/{upload_id}/parts", {"part_numbers": [1]}),
        ("POST", f"/uploads/{upload_id}/complete", None),
        ("DELETE", f"/uploads/{upload_id}", None),
    ]:
        reply = bob.call(method, path, body)
        assert (reply.status, reply.body["code"]) == (404, "upload_not_found"), (method, path)
    # AND bob cannot see the unpublished video either
    assert bob.call("GET", f"/videos/{opened['video_id']}").status == 404


@pytest.mark.parametrize(
    ("declaration", "status", "code"),
    [
        ({"size": 3 * 1024**3}, 413, "too_large"),
        ({"content_type": "application/pdf"}, 400, "unsupported_content_type"),
        ({"chunk_size": 1024}, 400, "invalid_chunk_size"),
    ],
)
def test_bad_declarations_get_a_clear_error(alice: Api, declaration: dict, status: int, code: str) -> None:
    body = {"filename": "clip.mp4", "size": MiB, "content_type": "video/mp4"} | declaration
    reply = alice.call("POST", "/uploads", body)
    assert (reply.status, reply.body["code"]) == (status, code)
    assert set(reply.body) >= {"code", "message"}


def test_a_malformed_body_is_a_400_with_a_code(alice: Api) -> None:
    reply = alice.call("POST", "/uploads", data=b"{not json", headers={"Content-Type": "application/json"})
    assert (reply.status, reply.body["code"]) == (400, "invalid_json")


def test_aborting_frees_the_chunks_and_forgets_the_video(alice: Api, cloud_s3, media_bucket) -> None:
    # GIVEN an upload with two staged chunks
    data = video_bytes(2 * MiB, seed=10)
    opened = alice.open_upload(data, MiB).body
    alice.put_chunks(opened["upload_id"], split(data, MiB))
    # WHEN it is aborted (twice)
    first = alice.call("DELETE", f"/uploads/{opened['upload_id']}")
    second = alice.call("DELETE", f"/uploads/{opened['upload_id']}")
    # THEN the storage is freed, the answer is the same, and the upload can no longer complete
    assert (first.status, first.body["status"], second.body["status"]) == (200, "ABORTED", "ABORTED")
    listed = cloud_s3.list_objects_v2(Bucket=media_bucket, Prefix=f"staging/{opened['upload_id']}/")
    assert listed.get("KeyCount", 0) == 0
    assert alice.call("POST", f"/uploads/{opened['upload_id']}/complete").status == 410
    assert alice.call("GET", f"/videos/{opened['video_id']}").status == 404


def test_a_declared_hash_that_does_not_match_fails_the_video(alice: Api, cloud_s3, media_bucket) -> None:
    # GIVEN chunks that are each intact but whose whole differs from the declared SHA-256
    data = video_bytes(2 * MiB, seed=11)
    opened = upload_all(alice, data, MiB, sha256=hashlib.sha256(b"something else").hexdigest())
    # WHEN completed
    assert alice.call("POST", f"/uploads/{opened['upload_id']}/complete").status == 202
    # THEN the video fails with the reason and nothing reaches originals/
    video = wait_for(
        lambda: (v := alice.call("GET", f"/videos/{opened['video_id']}").body)["status"] == "FAILED" and v
    )
    assert video["failure"]["code"] == "checksum_mismatch"
    assert (
        cloud_s3.list_objects_v2(Bucket=media_bucket, Prefix=f"originals/{opened['video_id']}").get(
            "KeyCount"
        )
        == 0
    )


def test_multipart_with_declared_hash_is_verified_before_it_lands(alice: Api, cloud_s3, media_bucket) -> None:
    data = video_bytes(11 * MiB, seed=12)
    opened = upload_all(alice, data, 5 * MiB, sha256=hashlib.sha256(data).hexdigest())
    assert alice.call("POST", f"/uploads/{opened['upload_id']}/complete").status == 202
    assert wait_for(
        lambda: alice.call("GET", f"/uploads/{opened['upload_id']}").body["status"] == "COMPLETED"
    )
    stored = cloud_s3.get_object(Bucket=media_bucket, Key=f"originals/{opened['video_id']}")["Body"].read()
    assert stored == data


@pytest.mark.parametrize("token", [None, "not-a-jwt", "expired"])
def test_every_route_but_health_needs_a_valid_token(local_cloud, token: str | None) -> None:
    if token == "expired":
        token = local_cloud.token("alice", ttl=-120)
    api = Api(local_cloud.api_url, token)
    reply = api.call("POST", "/uploads", {"filename": "a.mp4", "size": 1, "content_type": "video/mp4"})
    assert reply.status == 401
    assert set(reply.body) >= {"code", "message"}
    assert Api(local_cloud.api_url, None).call("GET", "/health").status == 200


def test_a_poison_message_reaches_the_dlq_without_blocking_the_queue(
    alice: Api, cloud_sqs, ingest_queue_url, ingest_dlq_url, cloud_sfn, ingest_state_machine
) -> None:
    # GIVEN a message that is not an S3 notification, followed by a real upload
    marker = f"poison-{os.getpid()}-{time.time()}"
    cloud_sqs.send_message(QueueUrl=ingest_queue_url, MessageBody=marker)
    data = video_bytes(MiB, seed=13)
    opened = upload_all(alice, data, MiB)
    alice.call("POST", f"/uploads/{opened['upload_id']}/complete")

    # THEN the real upload's execution starts while the poison message is retried
    def started() -> bool:
        listed = cloud_sfn.list_executions(stateMachineArn=ingest_state_machine)["executions"]
        return any(e["name"] == opened["video_id"] for e in listed)

    assert wait_for(started, timeout=60)  # S3 event -> queue -> trigger function -> Step Functions

    # AND after its retries the poison message is in the DLQ, unchanged
    def in_dlq() -> bool:
        got = cloud_sqs.receive_message(QueueUrl=ingest_dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        return any(m["Body"] == marker for m in got.get("Messages", []))

    assert wait_for(in_dlq, timeout=90, interval=0.5)


def _resigned(local_cloud: Any, claims_update: dict[str, Any], key: Any = None) -> str:
    """A local-issuer token with some claims changed, signed with the issuer's key (or `key`)."""
    genuine = local_cloud.token("alice")
    claims = jwt.decode(genuine, options={"verify_signature": False}) | claims_update
    if key is None:
        key = serialization.load_pem_private_key(Path(local_cloud.info["signing_key"]).read_bytes(), None)
    return jwt.encode(
        claims, key, algorithm="RS256", headers={"kid": jwt.get_unverified_header(genuine)["kid"]}
    )


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"aud": "some-other-app"}, "invalid_audience"),
        ({"iss": "https://issuer.example/other"}, "invalid_issuer"),
        ("foreign-key", "invalid_token"),
    ],
)
def test_tokens_for_another_audience_issuer_or_key_are_refused(
    local_cloud: Any, change: Any, code: str
) -> None:
    # GIVEN a token that is well-formed but not for this API (audience, issuer) or not signed by its issuer
    if change == "foreign-key":
        token = _resigned(local_cloud, {}, key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    else:
        token = _resigned(local_cloud, change)
    # WHEN it is used THEN the API answers 401 with the reason's code
    reply = Api(local_cloud.api_url, token).call("GET", "/videos/anything")
    assert (reply.status, reply.body["code"]) == (401, code)


def test_a_duplicated_s3_event_starts_nothing_twice(
    alice: Api,
    cloud_sqs: Any,
    cloud_sfn: Any,
    ingest_queue_url: str,
    ingest_state_machine: str,
    media_bucket: str,
) -> None:
    # GIVEN an upload whose original has started its execution
    opened = upload_all(alice, video_bytes(MiB, seed=14), MiB)
    alice.call("POST", f"/uploads/{opened['upload_id']}/complete")

    def executions() -> list[dict[str, Any]]:
        listed = cloud_sfn.list_executions(stateMachineArn=ingest_state_machine)["executions"]
        return [e for e in listed if e["name"] == opened["video_id"]]

    assert wait_for(executions)
    # WHEN S3 delivers the same notification again, twice, URL-encoded as S3 sends keys
    record = {
        "eventName": "ObjectCreated:Put",
        "s3": {
            "bucket": {"name": media_bucket},
            "object": {"key": f"originals%2F{opened['video_id']}", "size": MiB, "eTag": "x"},
        },
    }
    for _ in range(2):
        cloud_sqs.send_message(QueueUrl=ingest_queue_url, MessageBody=json.dumps({"Records": [record]}))
    # THEN the queue drains (both handled, however long this machine takes), and there is still exactly
    # one execution
    assert wait_for(lambda: _drained(cloud_sqs, ingest_queue_url), timeout=60), (
        "the ingest queue did not drain"
    )
    assert len(executions()) == 1


def test_completing_again_after_s3_merged_but_the_answer_was_lost(
    alice: Api, cloud_s3: Any, media_bucket: str
) -> None:
    # GIVEN an upload that S3 completed (as if the API's CompleteMultipartUpload answer had been lost)
    data = video_bytes(11 * MiB, seed=15)
    opened = upload_all(alice, data, 5 * MiB)
    key = f"originals/{opened['video_id']}"
    uploads = cloud_s3.list_multipart_uploads(Bucket=media_bucket, Prefix=key)["Uploads"]
    s3_upload_id = uploads[0]["UploadId"]
    parts = cloud_s3.list_parts(Bucket=media_bucket, Key=key, UploadId=s3_upload_id)["Parts"]
    cloud_s3.complete_multipart_upload(
        Bucket=media_bucket,
        Key=key,
        UploadId=s3_upload_id,
        MultipartUpload={"Parts": [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]},
    )
    # WHEN the client completes THEN the upload is recognised as merged rather than expired
    done = alice.call("POST", f"/uploads/{opened['upload_id']}/complete")
    assert (done.status, done.body["upload_status"]) == (202, "COMPLETED")
    assert cloud_s3.get_object(Bucket=media_bucket, Key=key)["Body"].read() == data
