"""PynamoDB models of the uploads and videos tables, bound to their real names at cold start.

The classes here declare attributes only; `bind_tables` makes subclasses carrying the table names
and region from settings, so importing this module does no I/O and reads no environment.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
)
from pynamodb.connection import Connection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from reelstack.settings import sdk_settings


class MergingIndex(GlobalSecondaryIndex["UploadRecord"]):
    """Uploads in MERGING only (sparse: `merging_shard` is set on entering MERGING and removed on
    leaving it), in `domain.media.merge_sweep.MERGING_SHARDS` partitions, oldest `complete` first: the sweeper
    finds stuck merges with a few queries instead of a scan. Keys only: it re-reads each upload."""

    class Meta:
        index_name = "merging-index"
        projection = KeysOnlyProjection()

    merging_shard = UnicodeAttribute(hash_key=True)
    merge_started_at = UnicodeAttribute(range_key=True)


class OpenOwnerIndex(GlobalSecondaryIndex["UploadRecord"]):
    """A user's OPEN uploads only (sparse: `open_owner` is set while the upload is OPEN and removed when it
    leaves OPEN), by expiry: one query with `expires_at > now` gives the live ones and, projected, their
    declared sizes (`reelstack.domain.media.upload_quota`). An expired upload drops out of that range at once,
    although its record stays until the table's TTL removes it."""

    class Meta:
        index_name = "open-owner-index"
        projection = IncludeProjection(["size"])

    open_owner = UnicodeAttribute(hash_key=True)
    expires_at = UnicodeAttribute(range_key=True)


class UploadRecord(Model):
    class Meta:
        table_name = "unbound-uploads"

    upload_id = UnicodeAttribute(hash_key=True)
    video_id = UnicodeAttribute()
    owner = UnicodeAttribute()
    filename = UnicodeAttribute()
    size = NumberAttribute()
    content_type = UnicodeAttribute()
    chunk_size = NumberAttribute()
    chunk_count = NumberAttribute()
    mode = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    expires_at = UnicodeAttribute()
    expires_at_epoch = TTLAttribute(null=True)
    title = UnicodeAttribute()
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    sha256 = UnicodeAttribute(null=True)
    s3_upload_id = UnicodeAttribute(null=True)
    assembly_key = UnicodeAttribute(null=True)
    merge_started_at = UnicodeAttribute(null=True)
    merge_invoked_at = UnicodeAttribute(null=True)  # the merge function last accepted the upload
    merging_shard = UnicodeAttribute(null=True)  # only while MERGING (the merging-index key)
    open_owner = UnicodeAttribute(null=True)  # the owner, only while OPEN (the open-owner-index key)
    failure = JSONAttribute(null=True)
    merging = MergingIndex()
    open_by_owner = OpenOwnerIndex()


class OwnerCreatedIndex(GlobalSecondaryIndex["VideoRecord"]):
    class Meta:
        index_name = "owner-created-index"
        projection = AllProjection()

    owner = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class OutboxIndex(GlobalSecondaryIndex["VideoRecord"]):
    """Videos with an event still to deliver (sparse: `outbox_shard` only while one is pending)."""

    class Meta:
        index_name = "outbox-index"
        projection = KeysOnlyProjection()

    outbox_shard = UnicodeAttribute(hash_key=True)
    outbox_due = UnicodeAttribute(range_key=True)


class PublishedIndex(GlobalSecondaryIndex["VideoRecord"]):
    """Published videos only (sparse: `published_bucket` is set at Publish), 16 partitions."""

    class Meta:
        index_name = "published-index"
        projection = AllProjection()

    published_bucket = UnicodeAttribute(hash_key=True)
    published_at = UnicodeAttribute(range_key=True)


class VideoRecord(Model):
    class Meta:
        table_name = "unbound-videos"

    video_id = UnicodeAttribute(hash_key=True)
    owner = UnicodeAttribute()
    status = UnicodeAttribute()
    title = UnicodeAttribute()
    tags = ListAttribute(of=UnicodeAttribute, default=list)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    upload_id = UnicodeAttribute(null=True)
    original_key = UnicodeAttribute(null=True)
    size = NumberAttribute(null=True)
    execution_arn = UnicodeAttribute(null=True)
    failure = JSONAttribute(null=True)
    media = JSONAttribute(null=True)
    playback = JSONAttribute(null=True)
    moderation = JSONAttribute(null=True)
    published_at = UnicodeAttribute(null=True)
    published_bucket = UnicodeAttribute(null=True)  # `domain.videos.published_bucket`, set at Publish
    storage = JSONAttribute(null=True)  # `StorageState.to_dict()`: tier, since, reason
    storage_version = NumberAttribute(null=True)  # `StorageState.version`: tier writes are conditional on it
    # Stage runs, appended by each stage as it ends: a list of maps (untyped ListAttribute).
    timeline = ListAttribute(null=True)  # type: ignore[var-annotated]
    # The outbox (`domain.media.outbox`): an event recorded with the change it announces.
    outbox = JSONAttribute(null=True)
    outbox_shard = UnicodeAttribute(null=True)
    outbox_due = UnicodeAttribute(null=True)
    by_owner = OwnerCreatedIndex()
    published = PublishedIndex()
    pending_events = OutboxIndex()


@dataclass(frozen=True)
class BoundTables:
    uploads: type[UploadRecord]
    videos: type[VideoRecord]
    region: str


def bound_model(model: type[Model], table_name: str, region: str) -> Any:
    """A subclass of `model` bound to a deployed table name and region, with its own GSI instances."""
    meta = type("Meta", (), {"table_name": table_name, "region": region, **_sdk_options()})
    namespace: dict[str, Any] = {"Meta": meta}
    # PynamoDB ties an index to the class that declares it: give the bound class its own instances.
    for name in dir(model):
        attribute = getattr(model, name, None)
        if isinstance(attribute, GlobalSecondaryIndex):
            namespace[name] = type(attribute)()
    return type(f"{model.__name__}On{table_name}", (model,), namespace)


def _sdk_options() -> dict[str, Any]:
    """PynamoDB's timeouts and retries from the process's SDK settings (`max_retry_attempts` counts
    retries only: PynamoDB adds the first try)."""
    settings = sdk_settings()
    return {
        "connect_timeout_seconds": settings.sdk_connect_timeout_seconds,
        "read_timeout_seconds": settings.sdk_read_timeout_seconds,
        "max_retry_attempts": max(0, settings.sdk_max_attempts - 1),
    }


@cache
def transaction_connection(region: str) -> Connection:
    """The connection TransactWrite uses, one per process and region: building its botocore client
    costs more than a transaction, so it is built once (as each model's own connection is)."""
    return Connection(region=region, **_sdk_options())


def bind_tables(uploads_table: str, videos_table: str, region: str) -> BoundTables:
    """Model classes bound to the deployed table names (endpoint from the SDK's own configuration)."""
    return BoundTables(
        uploads=bound_model(UploadRecord, uploads_table, region),
        videos=bound_model(VideoRecord, videos_table, region),
        region=region,
    )
