"""S3 Transfer Acceleration: with it on, presigned chunk URLs name the accelerate endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from reelstack.adapters import aws
from reelstack.adapters.media_bucket import MediaStorage

BUCKET = "reelstack-media-dev-0f6c2d10"


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL_S3", raising=False)
    aws.client.cache_clear()
    aws.accelerated_s3_client.cache_clear()
    yield
    aws.client.cache_clear()
    aws.accelerated_s3_client.cache_clear()


@pytest.mark.parametrize("accelerate", [True, False])
def test_presigned_chunk_urls_use_the_accelerate_endpoint_only_when_enabled(
    aws_env: None, accelerate: bool
) -> None:
    """GIVEN a media bucket with acceleration on (or off) WHEN a part and a staged chunk are presigned
    THEN both URLs name <bucket>.s3-accelerate.amazonaws.com (or S3's own endpoint), SigV4-signed."""
    storage = MediaStorage(BUCKET, accelerate=accelerate)

    part = storage.presign_part("originals/v1", "upload-1", 3, 5 * 1024 * 1024, None, 900)
    chunk = storage.presign_put("staging/u1/00001", 1024, None, 900)

    for signed in (part, chunk):
        url = urlsplit(signed.url)
        if accelerate:
            assert url.hostname == f"{BUCKET}.s3-accelerate.amazonaws.com"
        else:
            assert url.hostname is not None and "accelerate" not in url.hostname
            assert url.hostname.startswith(f"{BUCKET}.s3.") and url.hostname.endswith(".amazonaws.com")
        assert "X-Amz-Signature=" in url.query
    assert "partNumber=3" in urlsplit(part.url).query
