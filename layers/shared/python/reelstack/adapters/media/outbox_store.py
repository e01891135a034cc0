"""The outbox on the videos table (`domain.media.outbox`): the pending events the sparse outbox-index
lists, each read from its video item, and cleared once delivered (only if it is still the same event)."""

from __future__ import annotations

from pynamodb.exceptions import DoesNotExist, PynamoDBException, UpdateError

from reelstack.adapters.tables import BoundTables
from reelstack.domain.media.outbox import OUTBOX_SHARDS, PendingEvent
from reelstack.errors import DependencyFailed


class OutboxStore:
    def __init__(self, tables: BoundTables) -> None:
        self.tables = tables

    def due(self, due_before: str, limit: int) -> list[str]:
        """Videos whose event was recorded before `due_before`, oldest first in each shard."""
        model = self.tables.videos
        index = model.pending_events
        found: list[str] = []
        try:
            for shard in range(OUTBOX_SHARDS):
                query = index.query(
                    str(shard), model.outbox_due < due_before, limit=limit - len(found), page_size=limit
                )
                found += [record.video_id for record in query]
                if len(found) >= limit:
                    break
        except PynamoDBException as exc:
            raise DependencyFailed(f"listing pending events failed: {exc.msg}") from exc
        return found

    def pending(self, video_id: str) -> PendingEvent | None:
        try:
            record = self.tables.videos.get(video_id, consistent_read=True)
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise DependencyFailed(f"reading the outbox failed: {exc.msg}") from exc
        return PendingEvent.from_dict(record.outbox) if record.outbox else None

    def clear(self, video_id: str, event: PendingEvent) -> bool:
        """Remove the delivered event from its video (False: already gone, or another event now)."""
        model = self.tables.videos
        try:
            model(video_id=video_id).update(
                actions=[model.outbox.remove(), model.outbox_shard.remove(), model.outbox_due.remove()],
                condition=model.outbox_due == event.recorded_at,
            )
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                return False
            raise DependencyFailed(f"clearing the outbox failed: {exc.msg}") from exc
        return True
