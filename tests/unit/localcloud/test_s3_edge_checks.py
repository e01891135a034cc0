"""The S3 edge, called as a WSGI app in-process: expiry, signatures and checksums as S3 enforces them."""

from __future__ import annotations

import base64
import hashlib
import time
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from werkzeug.datastructures import Headers
from werkzeug.test import EnvironBuilder

from reelstack_tools.localcloud.s3_edge import S3Edge, is_s3_request

BODY = b"0123456789" * 1000
DIGEST = base64.b64encode(hashlib.sha256(BODY).digest()).decode()


class Recorder:
    """Stands where moto stands: records what reaches it."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.bodies.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]


def presigned_part(expires: int = 60) -> str:
    client = boto3.session.Session().client(
        "s3",
        endpoint_url="http://127.0.0.1:4566",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(signature_version="s3v4"),
    )
    params = {"Bucket": "media", "Key": "staging/u1/00001", "UploadId": "u1", "PartNumber": 1}
    params |= {"ContentLength": len(BODY), "ChecksumSHA256": DIGEST}
    return str(client.generate_presigned_url("upload_part", Params=params, ExpiresIn=expires))


def call(
    edge: S3Edge, url: str, body: bytes = BODY, headers: dict[str, str] | None = None
) -> tuple[str, bytes]:
    parts = urlsplit(url)
    environ = EnvironBuilder(
        path=parts.path,
        query_string=parts.query,
        method="PUT",
        base_url="http://127.0.0.1:4566",
        headers=Headers(
            {"x-amz-checksum-sha256": DIGEST, "Content-Type": "application/octet-stream", **(headers or {})}
        ),
        data=body,
    ).get_environ()
    environ["RAW_URI"] = f"{parts.path}?{parts.query}"
    status: list[str] = []
    answer = b"".join(edge(environ, lambda line, headers, exc_info=None: status.append(line)))
    return status[0], answer


def test_a_valid_presigned_part_reaches_moto_with_its_body() -> None:
    # GIVEN a fresh presigned part URL and the exact body it was signed for
    recorder = Recorder()
    status, _ = call(S3Edge(recorder, {"testing": "testing"}), presigned_part())
    # THEN it passes, and moto reads the same bytes
    assert status.startswith("200")
    assert recorder.bodies == [BODY]


def test_an_expired_url_is_access_denied() -> None:
    # GIVEN a URL valid for 60 s, presented 61 s later
    url = presigned_part(expires=60)
    edge = S3Edge(Recorder(), {"testing": "testing"}, clock=lambda: time.time() + 61)
    status, body = call(edge, url)
    assert status.startswith("403")
    assert b"<Code>AccessDenied</Code><Message>Request has expired</Message>" in body


def test_a_changed_request_does_not_match_the_signature() -> None:
    # GIVEN the URL with another part number, or the signed checksum header left out
    edge = S3Edge(Recorder(), {"testing": "testing"})
    status, body = call(edge, presigned_part().replace("partNumber=1", "partNumber=2"))
    assert status.startswith("403")
    assert b"<Code>SignatureDoesNotMatch</Code>" in body
    status, body = call(edge, presigned_part(), headers={"x-amz-checksum-sha256": ""})
    assert status.startswith("403")


def test_a_body_that_does_not_match_its_checksum_is_a_bad_digest() -> None:
    # GIVEN the right URL and headers but one byte changed in the body
    recorder = Recorder()
    status, body = call(S3Edge(recorder, {"testing": "testing"}), presigned_part(), body=b"X" + BODY[1:])
    assert status.startswith("400")
    assert b"<Code>BadDigest</Code>" in body
    assert recorder.bodies == []


def test_an_unknown_access_key_is_rejected() -> None:
    status, body = call(S3Edge(Recorder(), {"other": "secret"}), presigned_part())
    assert status.startswith("403")
    assert b"InvalidAccessKeyId" in body


def test_which_requests_are_s3() -> None:
    assert is_s3_request(
        {"QUERY_STRING": "X-Amz-Credential=testing%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"}
    )
    assert not is_s3_request(
        {"HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=t/20240101/us-east-1/sqs/aws4_request"}
    )
    assert is_s3_request({"REQUEST_METHOD": "PUT", "HTTP_X_AMZ_CHECKSUM_SHA256": DIGEST})


def test_a_chunked_body_without_content_length_is_hashed_whole() -> None:
    # GIVEN a checksummed PUT sent with Transfer-Encoding: chunked (the server sees no Content-Length)
    recorder = Recorder()
    environ = EnvironBuilder(
        path="/media/staging/u1/00002",
        method="PUT",
        base_url="http://127.0.0.1:4566",
        headers=Headers({"x-amz-checksum-sha256": DIGEST}),
        data=BODY,
    ).get_environ()
    del environ["CONTENT_LENGTH"]
    environ["wsgi.input_terminated"] = True
    status: list[str] = []
    # WHEN it passes the edge
    b"".join(S3Edge(recorder, {"testing": "testing"})(environ, lambda line, *_: status.append(line)))
    # THEN the whole body was checked against its checksum, and moto reads all of it
    assert status[0].startswith("200")
    assert recorder.bodies == [BODY]


def test_a_cors_preflight_goes_to_the_bucket_unchecked() -> None:
    # GIVEN a browser's preflight before a presigned PUT: the same URL, no signed headers, no body
    recorder = Recorder()
    parts = urlsplit(presigned_part())
    environ = EnvironBuilder(
        path=parts.path, query_string=parts.query, method="OPTIONS", base_url="http://127.0.0.1:4566",
        headers={"Origin": "http://127.0.0.1:8000", "Access-Control-Request-Method": "PUT"},
    ).get_environ()  # fmt: skip
    environ["RAW_URI"] = f"{parts.path}?{parts.query}"
    status: list[str] = []
    b"".join(
        S3Edge(recorder, {"testing": "testing"})(
            environ, lambda line, headers, exc_info=None: status.append(line)
        )
    )
    # THEN it is not refused for its signature: moto answers it from the bucket's CORS rules
    assert status == ["200 OK"]
    assert recorder.bodies == [b""]
