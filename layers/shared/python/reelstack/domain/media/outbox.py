"""The videos table's outbox: an event recorded on the video item in the same write as the change it
announces, delivered to EventBridge afterwards (pure).

Publish sets the video PUBLISHED and its pending `VideoPublished` in one conditional UpdateItem, so
the state change and its announcement cannot part: if the delivery right after fails (or the function
dies), the event waits on the item, findable through the sparse `outbox-index` (`outbox_shard`, only
while an event is pending, 8 partitions; `outbox_due`, its time), until the ingest sweeper delivers
it. Delivery is at least once (a sweeper that dies between PutEvents and clearing the item sends it
again); each event carries its `event_id`, the same on every delivery, and its consumers are
idempotent on it (the search indexer writes versioned documents), so a published video takes effect
downstream exactly once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

OUTBOX_SHARDS = 8


def outbox_shard(video_id: str) -> str:
    return str(hashlib.sha256(video_id.encode()).digest()[0] % OUTBOX_SHARDS)


@dataclass(frozen=True)
class PendingEvent:
    """An event recorded on a video, not yet known to be delivered."""

    detail_type: str
    detail: dict[str, Any]
    recorded_at: str  # ISO time of the write that recorded it (also `outbox_due`)

    @property
    def event_id(self) -> str:
        return f"{self.detail_type}:{self.detail.get('video_id')}:{self.recorded_at}"

    def announced(self) -> dict[str, Any]:
        """The detail as delivered: with the event id consumers de-duplicate on."""
        return {**self.detail, "event_id": self.event_id}

    def to_dict(self) -> dict[str, Any]:
        return {"detail_type": self.detail_type, "detail": self.detail, "recorded_at": self.recorded_at}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PendingEvent:
        return cls(str(raw["detail_type"]), dict(raw["detail"]), str(raw["recorded_at"]))
