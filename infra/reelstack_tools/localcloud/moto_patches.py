"""Patches to moto: one for speed (behaviour unchanged), one for DynamoDB's write isolation,
Step Functions' task-token answers (`moto_task_tokens`) and its EMR Serverless and SageMaker training
integrations (`moto_sync_integrations`), and EventBridge targets' InputPath (`moto_event_targets`).

moto's `FakeMultipart.complete` (CompleteMultipartUpload) copies the whole object four times: into a
bytearray, into a second bytearray for the default full-object checksum, and out of each again. For a
256 MiB upload that is seconds of CPU under the GIL, which real S3 never spends. The replacement joins
the parts once and checksums that single copy; it raises the same errors (InvalidPart, EntityTooSmall,
MalformedXML) and returns the same (body, ETag, checksum details) tuple. A unit test compares the two.

DynamoDB applies each write (and each TransactWriteItems, all or nothing) to an item atomically:
a counter moved by two concurrent `ADD`s moves twice, and a transaction's conditions hold when its
writes land. moto's server handles requests on threads and its backend takes no lock, so concurrent
writes to one item can interleave and lose an update. Reads are no safer: moto's UpdateItem of a new
item first stores its bare key and only then applies the SET, so a concurrent Query can see an item
with no attributes (a likes test read one, `KeyError: 'liked'`). `serialized` puts the backend's
reads and writes under one lock, which gives the isolation DynamoDB promises (at moto's speed, one
request at a time, which is far from a bottleneck locally).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from typing import Any

from reelstack_tools.localcloud import moto_event_targets, moto_sync_integrations, moto_task_tokens

_installed = False
DYNAMODB_LOCK = threading.RLock()
DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items", "batch_write_item")
DYNAMODB_READS = ("get_item", "query", "scan", "batch_get_item", "transact_get_items")


def serialized(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with DYNAMODB_LOCK:
            return method(*args, **kwargs)

    locked.__wrapped_by_reelstack__ = True  # type: ignore[attr-defined]
    return locked


def complete_multipart(
    self: Any, body: Iterator[tuple[int, str]]
) -> tuple[bytes, str, tuple[str, str, int] | None]:
    """Drop-in for `moto.s3.models.FakeMultipart.complete`."""
    from moto.s3.exceptions import EntityTooSmall, InvalidPart, MalformedXML
    from moto.s3.models import S3_UPLOAD_PART_MIN_SIZE, MultipartChecksumBuilder
    from moto.s3.utils import compute_checksum
    from moto.utilities.utils import md5_hash

    builder = MultipartChecksumBuilder(
        self.metadata.get("x-amz-checksum-algorithm"), self.metadata.get("x-amz-checksum-type")
    )
    values: list[bytes] = []
    md5s = bytearray()
    last = None
    for number, etag in body:
        part = self.parts.get(number)
        if part is None or part.etag.replace('"', "") != etag.replace('"', ""):
            raise InvalidPart()
        if last is not None and last.contentsize < S3_UPLOAD_PART_MIN_SIZE:
            raise EntityTooSmall()
        md5s.extend(bytes.fromhex(part.etag.replace('"', "")))
        value = part.value
        values.append(value)
        if builder.checksum_type == "COMPOSITE":
            builder.addPart(value)
        last = part
    if not values:
        raise MalformedXML
    total = b"".join(values)
    if builder.checksum_type == "COMPOSITE":
        checksum = builder.build()
    else:  # FULL_OBJECT: the checksum of the whole body, computed on the one copy
        checksum = (builder.checksum_type, compute_checksum(total, builder.checksum_algorithm).decode(), 1)
    full_etag = md5_hash()
    full_etag.update(bytes(md5s))
    return total, f"{full_etag.hexdigest()}-{len(values)}", checksum


def install() -> None:
    """Apply the patches once per process, before the moto server handles requests."""
    global _installed
    if _installed:
        return
    from moto.dynamodb.models import DynamoDBBackend
    from moto.s3.models import FakeMultipart

    FakeMultipart.complete = complete_multipart  # type: ignore[method-assign]
    moto_task_tokens.install()
    moto_sync_integrations.install()
    moto_event_targets.install()
    for name in (*DYNAMODB_WRITES, *DYNAMODB_READS):
        original = getattr(DynamoDBBackend, name, None)
        if original is not None and not getattr(original, "__wrapped_by_reelstack__", False):
            setattr(DynamoDBBackend, name, serialized(original))
    _installed = True
