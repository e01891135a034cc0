"""Plays: the beacon use case (`POST /videos/{id}/plays` -> 202) and the SQS aggregator behind it.

`PlayService.record`: rate limit (route "play") -> validate the body -> the video must exist and be
published (404 `video_not_found` otherwise) -> the threshold (`domain.engagement.plays.counts`) ->
Redis, which opens the viewer's window and moves the video's counters atomically or says
"duplicate" (the hot list and the viewer's interests follow, best effort: `adapters.engagement.play_stats`) ->
queue the counted play. If queueing fails the window is reopened and the caller gets 503, so a
retried beacon counts (Redis keeps the extra fast-counter increment: it is a cache).

`PlayAggregator.handle_batch`: the batch's counted plays are first forwarded to the interaction log
(`services.engagement.interaction_log`; a failed forward redelivers the whole batch, nothing counted yet); then
the whole SQS batch is folded into one delta per (video, day) and
each delta is one DynamoDB transaction that also marks each of its messages applied, so a message
redelivered in any grouping counts once (`adapters.engagement.play_daily_stats`). It returns the ids of the
messages to redeliver: malformed ones (they reach the DLQ after the queue's maxReceiveCount) and
those of deltas whose write failed. The handler answers `{"batchItemFailures": [...]}` with them: it
cannot use BatchProcessor's one-record-at-a-time callback, which would be one write per play.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, Protocol

from reelstack.adapters.engagement.play_daily_stats import AddResult
from reelstack.domain.engagement.interactions import Interaction, play_event_id
from reelstack.domain.engagement.plays import (
    DailyDelta,
    PlayEvent,
    PlayPolicy,
    aggregate,
    counts,
    parse_play,
    play_from_message,
    play_message,
    region_of,
)
from reelstack.domain.engagement.rate_limits import PLAY_ROUTE, Limiter
from reelstack.domain.identity import Principal
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import DependencyFailed, NotFound, ReelstackError
from reelstack.observability import logger


class VideoLookup(Protocol):
    def get_video(self, video_id: str) -> Video | None: ...


class PlayCounters(Protocol):
    def record(self, play: PlayEvent, tags: Sequence[str] = ()) -> bool: ...

    def forget(self, play: PlayEvent) -> None: ...


class Sender(Protocol):
    def send(self, message: dict[str, Any]) -> object: ...


class LagMarker(Protocol):
    """Where the real-time path's progress is stamped (`adapters.engagement.realtime_lag`)."""

    def queued(self, path: str, event_ms: int) -> None: ...
    def applied(self, path: str, event_ms: int) -> None: ...


def _stamp(what: str, operation: Callable[[], None]) -> None:
    try:
        operation()
    except ReelstackError as error:  # best effort: the feed's lag signal misses one stamp
        logger.warning("real-time lag not stamped", extra={"stamp": what, "error": str(error)})


class DailyStore(Protocol):
    def add(self, deltas: Sequence[DailyDelta]) -> AddResult: ...


def duration_ms(video: Video) -> int | None:
    """The video's length as probed (playback first, then the probe's media facts); None if unknown."""
    seconds: Any = video.playback.duration_s if video.playback is not None else None
    if not seconds and video.media:
        seconds = video.media.get("duration_s")
    try:
        return int(float(seconds) * 1000) if seconds else None
    except (TypeError, ValueError):
        return None


class PlayService:
    def __init__(
        self,
        videos: VideoLookup,
        counters: PlayCounters,
        sender: Sender,
        policy: PlayPolicy | None = None,
        *,
        limiter: Limiter | None = None,
        clock: Callable[[], datetime] | None = None,
        lag: LagMarker | None = None,
    ) -> None:
        self.lag = lag
        self.videos = videos
        self.counters = counters
        self.sender = sender
        self.policy = policy or PlayPolicy()
        self.limiter = limiter
        self.clock = clock or (lambda: datetime.now(UTC))

    def record(
        self, principal: Principal, video_id: str, body: Any, region: str | None = None
    ) -> dict[str, Any]:
        """-> `{video_id, counted, reason}`; reason: "counted" | "below_threshold" | "duplicate".
        `region`: the viewer's, from the edge (the regional hot lists and the log's region column)."""
        if self.limiter is not None:
            self.limiter.enforce(principal.user_id, PLAY_ROUTE)
        event = replace(parse_play(video_id, principal.user_id, body, self.clock()), region=region_of(region))
        video = self.videos.get_video(video_id)
        if video is None or video.status != VideoStatus.PUBLISHED:
            raise NotFound(f"no published video {video_id}", code="video_not_found")
        if not counts(event, duration_ms(video), self.policy):
            return {"video_id": video_id, "counted": False, "reason": "below_threshold"}
        if not self.counters.record(event, video.tags):
            return {"video_id": video_id, "counted": False, "reason": "duplicate"}
        try:
            self.sender.send(play_message(event))
        except Exception as exc:
            self.counters.forget(event)
            raise DependencyFailed("the play could not be queued; retry", code="play_not_queued") from exc
        if self.lag is not None:
            lag, at_ms = self.lag, int(event.at.timestamp() * 1000)
            _stamp("queued", lambda: lag.queued("plays", at_ms))
        return {"video_id": video_id, "counted": True, "reason": "counted"}


def _body(record: Mapping[str, Any]) -> Any:
    body = record.get("body")
    return json.loads(body) if isinstance(body, str | bytes) else body


class DirtyMarker(Protocol):
    """Where videos whose counts moved are marked for the search count refresh (best effort)."""

    def mark(self, video_ids: Iterable[str], now_s: float) -> None: ...


class InteractionLog(Protocol):
    """Where counted plays go for the interaction log (`services.engagement.interaction_log.LogForwarder`)."""

    def forward(self, events: Sequence[Interaction]) -> None: ...


def play_interaction(play: PlayEvent) -> Interaction:
    return Interaction(
        event_id=play_event_id(play.viewer, play.video_id, play.session_id, play.at),
        kind="play",
        user_id=play.viewer,
        occurred_at=play.at,
        video_id=play.video_id,
        watched_ms=play.watched_ms,
        region=play.region,
    )


class PlayAggregator:
    def __init__(
        self,
        store: DailyStore,
        dirty: DirtyMarker | None = None,
        log: InteractionLog | None = None,
        lag: LagMarker | None = None,
    ) -> None:
        self.lag = lag
        self.store = store
        self.dirty = dirty
        self.log = log

    def handle_batch(self, records: Sequence[Mapping[str, Any]]) -> list[str]:
        """SQS records (`messageId`, `body`) -> the ids to redeliver (see the module docstring)."""
        failed: list[str] = []
        plays: list[tuple[str, PlayEvent]] = []
        for record in records:
            message_id = str(record.get("messageId") or "")
            try:
                plays.append((message_id, play_from_message(_body(record))))
            except (ValueError, ReelstackError):  # JSONDecodeError is a ValueError
                failed.append(message_id)
        if self.log is not None and plays:
            # Before the durable write: a failed forward leaves nothing counted, and the retry is clean.
            try:
                self.log.forward([play_interaction(play) for _, play in plays])
            except ReelstackError as forward_error:
                logger.warning(
                    "plays not forwarded to the interaction log: retried", extra={"error": str(forward_error)}
                )
                return failed + [message_id for message_id, _ in plays]
        deltas = aggregate(plays)
        result = self.store.add(deltas)
        self._mark_dirty(deltas, result.failed)
        for delta, error in zip(result.failed, result.errors, strict=False):
            logger.warning(
                "daily stats write failed",
                extra={"video_id": delta.video_id, "day": delta.day, "error": error},
            )
        if failed:
            logger.warning("malformed play messages", extra={"message_ids": failed})
        failed.extend(source for delta in result.failed for source in delta.sources)
        if self.lag is not None and plays:
            lag, newest = self.lag, max(int(play.at.timestamp() * 1000) for _, play in plays)
            _stamp("applied", lambda: lag.applied("plays", newest))
        return failed

    def _mark_dirty(self, deltas: Sequence[DailyDelta], failed: Sequence[DailyDelta]) -> None:
        """The written videos' play counts moved: the search count refresh re-indexes them (best effort)."""
        written = {delta.video_id for delta in deltas} - {delta.video_id for delta in failed}
        if self.dirty is None or not written:
            return
        try:
            self.dirty.mark(sorted(written), time.time())
        except Exception as exc:
            logger.warning("play counts not marked for search", extra={"error": str(exc)})
