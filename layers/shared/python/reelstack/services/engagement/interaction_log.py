"""The interaction log: producers forward events to its queue, the log writer appends them to the lake.

`LogForwarder` (used by the plays and likes workers) queues `Interaction`s in SendMessageBatch
calls. The plays worker forwards a batch's plays *before* its durable write: a failed forward fails
the batch before anything is counted, so the redelivery is a clean retry; a later failure of the
write redelivers plays already forwarded, which the log holds twice under one event id, and every
reader de-duplicates on it. The likes worker's store is idempotent, so it forwards after applying.

`InteractionLogWriter.handle_batch` (the log writer function, SQS, large batches):
  - a malformed message can never become valid: it goes straight to the DLQ, with the reason, and
    is not retried (if the DLQ itself cannot take it, it is reported failed and comes back);
  - the batch's videos are looked up at once and their facts (author, tags, length, publication,
    codec tier) added to video events; a video gone since is logged without them;
  - one Parquet file per (batch, day) at `lake/interactions/v1/dt=<day>/<digest>.parquet`, the digest
    of the day's event ids: a redelivered batch overwrites its own file instead of adding one;
  - a day whose file cannot be written fails that day's messages (redelivered, then the DLQ).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from reelstack.domain.engagement.interactions import (
    LAKE_PREFIX,
    VIDEO_KINDS,
    Interaction,
    VideoFacts,
    interaction_from_message,
)
from reelstack.errors import ReelstackError
from reelstack.observability import logger


class BatchSender(Protocol):
    def send_batch(self, messages: Sequence[dict[str, Any]]) -> None: ...


class DeadLetters(Protocol):
    def send(self, body: str, reason: str) -> None: ...


class VideoFactsLookup(Protocol):
    def facts(self, video_ids: Iterable[str]) -> dict[str, VideoFacts]: ...


class LakeFiles(Protocol):
    def put(self, key: str, events: Sequence[Interaction]) -> None: ...


class LogForwarder:
    def __init__(self, sender: BatchSender) -> None:
        self.sender = sender

    def forward(self, events: Sequence[Interaction]) -> None:
        """Queue `events`; raises DependencyFailed when the queue does not take them all."""
        if events:
            self.sender.send_batch([event.to_message() for event in events])


def lake_key(day: str, events: Sequence[Interaction]) -> str:
    digest = hashlib.sha256("\n".join(sorted(event.event_id for event in events)).encode()).hexdigest()
    return f"{LAKE_PREFIX}dt={day}/{digest[:32]}.parquet"


def _body(record: Mapping[str, Any]) -> str:
    body = record.get("body")
    return body.decode() if isinstance(body, bytes) else str(body or "")


class InteractionLogWriter:
    def __init__(self, videos: VideoFactsLookup, lake: LakeFiles, dead_letters: DeadLetters) -> None:
        self.videos = videos
        self.lake = lake
        self.dead_letters = dead_letters

    def _parse(self, records: Sequence[Mapping[str, Any]]) -> tuple[list[tuple[str, Interaction]], list[str]]:
        parsed: list[tuple[str, Interaction]] = []
        failed: list[str] = []
        for record in records:
            message_id, body = str(record.get("messageId") or ""), _body(record)
            try:
                parsed.append((message_id, interaction_from_message(json.loads(body))))
            except (ValueError, ReelstackError) as error:  # JSONDecodeError is a ValueError
                try:
                    self.dead_letters.send(body, str(error))
                    logger.warning("malformed interaction sent to the DLQ", extra={"reason": str(error)})
                except ReelstackError:
                    failed.append(message_id)
        return parsed, failed

    def handle_batch(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        """SQS records (`messageId`, `body`) -> the ids of the messages to redeliver."""
        parsed, failed = self._parse(records)
        if not parsed:
            return failed
        video_ids = {event.video_id for _, event in parsed if event.kind in VIDEO_KINDS and event.video_id}
        try:
            facts = self.videos.facts(video_ids)
        except ReelstackError as error:
            logger.warning("video facts unavailable: the batch stays queued", extra={"error": str(error)})
            return failed + [message_id for message_id, _ in parsed]
        by_day: dict[str, list[tuple[str, Interaction]]] = {}
        for message_id, event in parsed:
            enriched = (
                event.with_video(facts.get(event.video_id or "")) if event.kind in VIDEO_KINDS else event
            )
            by_day.setdefault(enriched.day, []).append((message_id, enriched))
        for day, items in sorted(by_day.items()):
            events = [event for _, event in items]
            try:
                self.lake.put(lake_key(day, events), events)
            except ReelstackError as error:
                logger.warning(
                    "lake write failed", extra={"day": day, "events": len(events), "error": str(error)}
                )
                failed.extend(message_id for message_id, _ in items)
        return failed
