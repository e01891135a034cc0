"""Presigned S3 requests through the local AWS endpoint behave as S3 does: expiry, signatures, checksums."""

from __future__ import annotations

import base64
import hashlib
import http.client
import time
import urllib.parse
from typing import Any

import pytest
from botocore.exceptions import ClientError

pytestmark = pytest.mark.integration
MiB = 1024 * 1024


def put(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=30)
    try:
        connection.request("PUT", f"{parts.path}?{parts.query}", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def checksum(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


def part_url(
    s3: Any, bucket: str, key: str, upload_id: str, number: int, body: bytes, expires: int = 300
) -> str:
    params = {"Bucket": bucket, "Key": key, "UploadId": upload_id, "PartNumber": number}
    params |= {"ContentLength": len(body), "ChecksumSHA256": checksum(body)}
    return str(s3.generate_presigned_url("upload_part", Params=params, ExpiresIn=expires))


def part_headers(body: bytes) -> dict[str, str]:
    return {"x-amz-checksum-sha256": checksum(body), "Content-Type": "application/octet-stream"}


@pytest.fixture
def upload(fixture_cloud: Any) -> tuple[Any, str, str, str]:
    s3 = fixture_cloud.client("s3")
    bucket = fixture_cloud.name("MediaBucket")
    key = f"staging/{time.time_ns()}"
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key=key, ContentType="video/mp4", ChecksumAlgorithm="SHA256"
    )["UploadId"]
    return s3, bucket, key, upload_id


def test_good_presigned_parts_are_accepted_and_merged(upload: tuple[Any, str, str, str]) -> None:
    # GIVEN a multipart upload and two parts PUT to presigned URLs that bind length and checksum
    s3, bucket, key, upload_id = upload
    parts = [b"a" * (5 * MiB), b"tail"]
    for number, body in enumerate(parts, start=1):
        status, answer = put(part_url(s3, bucket, key, upload_id, number, body), body, part_headers(body))
        assert status == 200, answer
    # WHEN the upload is completed THEN the object is the parts joined
    listed = s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id)["Parts"]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload_id,
        MultipartUpload={
            "Parts": [{"PartNumber": part["PartNumber"], "ETag": part["ETag"]} for part in listed]
        },
    )
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"".join(parts)


def test_an_expired_url_is_refused(upload: tuple[Any, str, str, str]) -> None:
    s3, bucket, key, upload_id = upload
    body = b"late"
    url = part_url(s3, bucket, key, upload_id, 1, body, expires=1)
    time.sleep(2.1)
    status, answer = put(url, body, part_headers(body))
    assert status == 403
    assert b"<Code>AccessDenied</Code><Message>Request has expired</Message>" in answer


def test_a_bad_signature_or_a_dropped_signed_header_is_refused(upload: tuple[Any, str, str, str]) -> None:
    s3, bucket, key, upload_id = upload
    body = b"chunk"
    url = part_url(s3, bucket, key, upload_id, 1, body)
    signature = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Signature"][0]
    forged = url.replace(signature, signature[:-1] + ("0" if signature[-1] != "0" else "1"))
    status, answer = put(forged, body, part_headers(body))
    assert (status, b"<Code>SignatureDoesNotMatch</Code>" in answer) == (403, True)
    status, answer = put(url, body, {"Content-Type": "application/octet-stream"})
    assert (status, b"<Code>SignatureDoesNotMatch</Code>" in answer) == (403, True)
    assert s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id).get("Parts", []) == []


def test_a_body_that_does_not_match_its_signed_checksum_is_a_bad_digest(
    upload: tuple[Any, str, str, str],
) -> None:
    s3, bucket, key, upload_id = upload
    body = b"the real chunk"
    status, answer = put(part_url(s3, bucket, key, upload_id, 1, body), b"the fake chunk", part_headers(body))
    assert status == 400
    assert b"<Code>BadDigest</Code>" in answer
    assert s3.list_parts(Bucket=bucket, Key=key, UploadId=upload_id).get("Parts", []) == []


def test_sdk_puts_are_checked_too(fixture_cloud: Any) -> None:
    s3 = fixture_cloud.client("s3")
    bucket = fixture_cloud.name("MediaBucket")
    with pytest.raises(ClientError) as raised:
        s3.put_object(Bucket=bucket, Key="checked", Body=b"abc", ChecksumSHA256=checksum(b"abd"))
    assert raised.value.response["Error"]["Code"] == "BadDigest"
    s3.put_object(Bucket=bucket, Key="checked", Body=b"abc", ChecksumSHA256=checksum(b"abc"))
    assert s3.get_object(Bucket=bucket, Key="checked")["Body"].read() == b"abc"
