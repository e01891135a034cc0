"""Presigned S3 URLs signed by botocore verify with the local cloud's SigV4 code; tampering does not."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import urlsplit

import boto3
import pytest
from botocore.config import Config

from reelstack_tools.localcloud import sigv4

ENDPOINT = "http://127.0.0.1:4566"


def presign(operation: str, params: dict, expires: int = 600) -> str:
    client = boto3.session.Session().client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(signature_version="s3v4"),
    )
    return str(client.generate_presigned_url(operation, Params=params, ExpiresIn=expires))


def verify(url: str, method: str, headers: dict[str, str], secret: str = "testing") -> bool:
    parts = urlsplit(url)
    query = sigv4.parse_presigned(parts.query)
    return sigv4.signature_matches(
        sigv4.signature(secret, query, method, parts.path, headers), query.signature
    )


BODY = b"a chunk of video"
DIGEST = base64.b64encode(hashlib.sha256(BODY).digest()).decode()
PART = {
    "Bucket": "media",
    "Key": "staging/up 1/part+0001%.bin",
    "UploadId": "abc/def==",
    "PartNumber": 1,
    "ContentLength": len(BODY),
    "ChecksumSHA256": DIGEST,
}
HEADERS = {"host": "127.0.0.1:4566", "content-length": str(len(BODY)), "x-amz-checksum-sha256": DIGEST}


def test_a_botocore_upload_part_url_verifies() -> None:
    # GIVEN an upload_part URL binding length and checksum
    url = presign("upload_part", PART)
    query = sigv4.parse_presigned(urlsplit(url).query)
    # THEN those headers are signed and the request as sent verifies
    assert query.signed_headers == ("content-length", "host", "x-amz-checksum-sha256")
    assert verify(url, "PUT", HEADERS)


def test_a_put_object_url_with_a_content_type_verifies() -> None:
    url = presign("put_object", {"Bucket": "media", "Key": "originals/v1", "ContentType": "video/mp4"})
    assert verify(url, "PUT", {"host": "127.0.0.1:4566", "content-type": "video/mp4"})


@pytest.mark.parametrize(
    "tamper",
    [
        lambda url, headers: (url.replace("part%2B0001", "part%2B0002"), "PUT", headers),
        lambda url, headers: (url.replace("partNumber=1", "partNumber=2"), "PUT", headers),
        lambda url, headers: (url, "GET", headers),
        lambda url, headers: (url, "PUT", {**headers, "content-length": "999"}),
        lambda url, headers: (
            url,
            "PUT",
            {key: value for key, value in headers.items() if key != "x-amz-checksum-sha256"},
        ),
        lambda url, headers: (url, "PUT", {**headers, "host": "127.0.0.1:9999"}),
    ],
    ids=["key", "part-number", "method", "length", "dropped-checksum", "host"],
)
def test_tampering_breaks_the_signature(tamper) -> None:
    # GIVEN a valid URL WHEN any signed element differs THEN the signature does not match
    url, method, headers = tamper(presign("upload_part", PART), HEADERS)
    assert not verify(url, method, headers)


def test_the_wrong_secret_does_not_verify() -> None:
    assert not verify(presign("upload_part", PART), "PUT", HEADERS, secret="other")


def test_malformed_queries_are_reported() -> None:
    with pytest.raises(sigv4.MalformedPresignedUrl):
        sigv4.parse_presigned("X-Amz-Signature=abc")
    with pytest.raises(sigv4.MalformedPresignedUrl, match="less than a week"):
        sigv4.parse_presigned(
            urlsplit(presign("upload_part", PART, expires=604800)).query.replace("604800", "604801")
        )


def test_canonical_forms() -> None:
    # GIVEN pairs out of order with reserved characters THEN they are encoded once and sorted
    assert sigv4.canonical_query([("b", "x y"), ("a", "1/2"), ("X-Amz-Signature", "s")]) == "a=1%2F2&b=x%20y"
    assert sigv4.canonical_uri("/media/a%20b/c%2Bd") == "/media/a%20b/c%2Bd"
    assert sigv4.canonical_headers({"host": " h  x "}, ("host",)) == "host:h x\n"
