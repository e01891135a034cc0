"""Interaction events as Parquet files of the media lake (pyarrow): the schema from `LAKE_COLUMNS`,
one file per batch and day, zstd-compressed (smaller than snappy on these repetitive id columns, and
read as fast by Spark)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.engagement.interactions import LAKE_COLUMNS, Interaction

_TYPES: dict[str, Any] = {
    "string": pa.string(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "float64": pa.float64(),
    "timestamp": pa.timestamp("ms", tz="UTC"),
    "list<string>": pa.list_(pa.string()),
}
COMPRESSION = "zstd"


def lake_schema() -> pa.Schema:
    return pa.schema([pa.field(name, _TYPES[kind]) for name, kind in LAKE_COLUMNS])


def parquet_bytes(events: Sequence[Interaction]) -> bytes:
    """One Parquet file holding `events` (their `to_row()`), in the lake's schema."""
    rows = [event.to_row() for event in events]
    table = pa.Table.from_pylist(rows, schema=lake_schema())
    buffer = io.BytesIO()
    pq.write_table(table, buffer, compression=COMPRESSION)
    return buffer.getvalue()


def read_rows(data: bytes) -> list[dict[str, Any]]:
    """The rows of a lake file (for tools and tests)."""
    return list(pq.read_table(io.BytesIO(data)).to_pylist())


class LakeWriter:
    """Puts a batch's events as one Parquet object of the lake bucket (errors become domain errors)."""

    def __init__(self, storage: MediaStorage) -> None:
        self.storage = storage

    def put(self, key: str, events: Sequence[Interaction]) -> None:
        self.storage.put_bytes(key, parquet_bytes(events), content_type="application/vnd.apache.parquet")
