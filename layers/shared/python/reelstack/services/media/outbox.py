"""Delivering the videos table's outbox (`domain.media.outbox`) to EventBridge: right after the write
that recorded an event (Publish), and again by the ingest sweeper for any event still pending."""

from __future__ import annotations

from typing import Protocol

from reelstack.domain.media.outbox import PendingEvent
from reelstack.errors import ReelstackError
from reelstack.observability import logger


class Events(Protocol):
    def publish(
        self, detail_type: str, detail: dict[str, object], resources: list[str] | None = None
    ) -> None: ...


class Outbox(Protocol):
    def due(self, due_before: str, limit: int) -> list[str]: ...
    def pending(self, video_id: str) -> PendingEvent | None: ...
    def clear(self, video_id: str, event: PendingEvent) -> bool: ...


class OutboxRelay:
    def __init__(self, outbox: Outbox, events: Events) -> None:
        self.outbox = outbox
        self.events = events

    def deliver(self, video_id: str) -> bool:
        """Send the video's pending event, if any, then clear it; False if it stays pending (logged)."""
        event = self.outbox.pending(video_id)
        if event is None:
            return True
        try:
            self.events.publish(event.detail_type, event.announced())
        except ReelstackError as error:
            logger.warning(
                "event left in the outbox: the sweeper delivers it",
                extra={"video_id": video_id, "event_id": event.event_id, "error": str(error)},
            )
            return False
        self.outbox.clear(video_id, event)
        return True

    def sweep(self, due_before: str, limit: int) -> dict[str, int]:
        """Deliver the events recorded before `due_before` that are still pending (at most `limit`)."""
        video_ids = self.outbox.due(due_before, limit)
        delivered = sum(1 for video_id in video_ids if self.deliver(video_id))
        return {"pending": len(video_ids), "delivered": delivered}
