"""The faster CompleteMultipartUpload gives exactly what moto's own gives (no sockets: moto in-process)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from moto.s3.exceptions import EntityTooSmall, InvalidPart, MalformedXML
from moto.s3.models import FakeMultipart

from reelstack_tools.localcloud.moto_patches import complete_multipart

MiB = 1024 * 1024
ORIGINAL_COMPLETE = FakeMultipart.complete


def multipart(algorithm: str | None, checksum_type: str | None, sizes: list[int]) -> Any:
    metadata: dict[str, str] = {}
    if algorithm:
        metadata["x-amz-checksum-algorithm"] = algorithm
    if checksum_type:
        metadata["x-amz-checksum-type"] = checksum_type
    upload = FakeMultipart("key", metadata, account_id="123456789012", region_name="us-east-1")
    for number, size in enumerate(sizes, 1):
        upload.set_part(number, os.urandom(size))
    return upload


def manifest(upload: Any) -> list[tuple[int, str]]:
    return [(number, part.etag) for number, part in sorted(upload.parts.items())]


@pytest.mark.parametrize(
    ("algorithm", "checksum_type"),
    [(None, None), ("CRC32", "FULL_OBJECT"), ("SHA256", None), ("CRC32", "COMPOSITE"), ("SHA1", None)],
)
def test_the_patched_complete_equals_moto_s_own(algorithm: str | None, checksum_type: str | None) -> None:
    # GIVEN a three-part upload with the checksum setting under test
    upload = multipart(algorithm, checksum_type, [5 * MiB, 5 * MiB, 123])
    # WHEN both implementations complete it THEN body, ETag and checksum details are identical
    assert complete_multipart(upload, iter(manifest(upload))) == ORIGINAL_COMPLETE(
        upload, iter(manifest(upload))
    )


def test_the_patched_complete_raises_moto_s_errors() -> None:
    upload = multipart(None, None, [MiB, MiB])
    with pytest.raises(EntityTooSmall):
        complete_multipart(upload, iter(manifest(upload)))
    with pytest.raises(InvalidPart):
        complete_multipart(upload, iter([(1, '"not-the-etag"')]))
    with pytest.raises(MalformedXML):
        complete_multipart(upload, iter([]))


def test_dynamodb_requests_are_serialized_like_dynamodb_isolates_them() -> None:
    # GIVEN the patches installed (reads too: a read must not see half an UpdateItem), and the lock held elsewhere
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    from reelstack_tools.localcloud.moto_patches import (
        DYNAMODB_LOCK,
        DYNAMODB_READS,
        DYNAMODB_WRITES,
        install,
        serialized,
    )

    install()
    assert all(
        getattr(getattr(DynamoDBBackend, name), "__wrapped_by_reelstack__", False)
        for name in (*DYNAMODB_WRITES, *DYNAMODB_READS)
    )
    entered = threading.Event()
    write = serialized(lambda: entered.set())
    with DYNAMODB_LOCK:
        writer = threading.Thread(target=write)
        writer.start()
        # WHEN a write is attempted meanwhile THEN it waits for the lock
        assert not entered.wait(0.2)
    # AND it proceeds once the lock is free
    writer.join(5)
    assert entered.is_set()
