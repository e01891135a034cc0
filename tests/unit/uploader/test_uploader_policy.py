"""Small decisions of the client: when to declare the whole-file SHA-256, how URLs are split for http.client."""

from __future__ import annotations

import pytest

from reelstack_tools.uploader.client import wants_sha256
from reelstack_tools.uploader.connections import Origin, split_url

MiB = 1024 * 1024


@pytest.mark.parametrize(
    ("flag", "size", "chunk", "expected"),
    [
        (None, 100 * MiB, MiB, True),  # staged, small enough: verified end to end by the merge function
        (None, 512 * MiB, 4 * MiB, True),
        (None, 513 * MiB, MiB, False),  # staged but large: the extra read is not worth it by default
        (None, 100 * MiB, 5 * MiB, False),  # multipart: S3 checks every part's SHA-256 and merges itself
        (None, 100 * MiB, 8 * MiB, False),
        (True, 2000 * MiB, 8 * MiB, True),  # --sha256 forces it
        (False, MiB, MiB, False),  # --no-sha256 forbids it
    ],
)
def test_the_whole_file_digest_is_declared_for_small_staged_uploads_or_when_asked(
    flag: bool | None, size: int, chunk: int, expected: bool
) -> None:
    # GIVEN the flag, the file size and the chunk size WHEN deciding THEN the documented policy holds
    assert wants_sha256(flag, size, chunk) is expected


@pytest.mark.parametrize(
    ("url", "origin", "target"),
    [
        (
            "http://127.0.0.1:5000/media/staging/u/00001?X-Amz-Signature=a%2Fb&X-Amz-Expires=900",
            Origin("http", "127.0.0.1", 5000),
            "/media/staging/u/00001?X-Amz-Signature=a%2Fb&X-Amz-Expires=900",
        ),
        ("https://bucket.s3.amazonaws.com/k", Origin("https", "bucket.s3.amazonaws.com", 443), "/k"),
        (
            "https://x.execute-api.us-east-1.amazonaws.com/Prod",
            Origin("https", "x.execute-api.us-east-1.amazonaws.com", 443),
            "/Prod",
        ),
        ("http://localhost", Origin("http", "localhost", 80), "/"),
    ],
)
def test_presigned_urls_are_split_without_re_encoding_the_query(
    url: str, origin: Origin, target: str
) -> None:
    # GIVEN a presigned URL WHEN split THEN the query string is kept byte for byte (the signature covers it)
    assert split_url(url) == (origin, target)


def test_only_http_urls_are_accepted() -> None:
    with pytest.raises(ValueError):
        split_url("ftp://example.com/x")
