"""Like / unlike: answered at once from Redis, made durable through the likes queue, exactly once.

`LikeService` serves the API: it checks the video is published, runs the cache's like script
(rebuilding the video's likes from DynamoDB on a miss), queues the change stamped with the script's
version, and answers from Redis. Every action is queued, even one that changed nothing in Redis:
the newest action must reach DynamoDB to outrank any older one still in flight. With Redis down the
change is still queued (stamped with this function's clock) and the answer comes from DynamoDB,
flagged `degraded` so the API can say so in a header.

`LikeWorker` serves the likes queue's consumer: it applies one change durably (idempotent, any order)
and, when the change moved the truth, brings the cache in line unless it has seen newer.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from reelstack.clock import iso, utc_now
from reelstack.domain.identity import Principal
from reelstack.domain.likes import (
    CacheUnavailable,
    LikeAnswer,
    LikeChange,
    LikeState,
    Toggled,
    expected_count,
)
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import NotFound

_LOAD_ATTEMPTS = 3


class Cache(Protocol):
    def toggle(self, video_id: str, user_id: str, liked: bool) -> Toggled | None: ...
    def load(self, state: LikeState) -> bool: ...
    def reconcile(self, video_id: str, user_id: str, liked: bool, version: int) -> bool: ...
    def invalidate(self, video_id: str) -> None: ...


class Store(Protocol):
    def apply(self, change: LikeChange) -> bool: ...
    def state(self, video_id: str) -> LikeState: ...
    def liked(self, video_id: str, user_id: str) -> bool: ...
    def count(self, video_id: str) -> int: ...


class Sender(Protocol):
    def send(self, message: dict[str, Any]) -> str: ...


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


class LikeService:
    def __init__(
        self,
        cache: Cache,
        store: Store,
        queue_sender: Sender,
        videos_lookup: Callable[[str], Video | None],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.cache = cache
        self.store = store
        self.queue = queue_sender
        self.videos_lookup = videos_lookup
        self.clock = clock

    def like(self, principal: Principal, video_id: str) -> LikeAnswer:
        return self._set(principal, video_id, liked=True)

    def unlike(self, principal: Principal, video_id: str) -> LikeAnswer:
        return self._set(principal, video_id, liked=False)

    def _set(self, principal: Principal, video_id: str, liked: bool) -> LikeAnswer:
        video = self.videos_lookup(video_id)
        if video is None or video.status != VideoStatus.PUBLISHED:
            raise NotFound(f"no published video {video_id}", code="video_not_found")
        user = principal.user_id
        now = self.clock()
        try:
            toggled = self._toggle(video_id, user, liked)
        except CacheUnavailable:
            return self._from_store(video_id, user, liked, now)
        change = LikeChange(video_id, user, liked, toggled.version, iso(now))
        try:
            self.queue.send(change.to_dict())
        except Exception:
            # Redis is now ahead of the truth: forget the video so the next touch rebuilds it.
            with suppress(CacheUnavailable):
                self.cache.invalidate(video_id)
            raise
        return LikeAnswer(video_id, toggled.liked, toggled.count)

    def _toggle(self, video_id: str, user: str, liked: bool) -> Toggled:
        for _ in range(_LOAD_ATTEMPTS):
            toggled = self.cache.toggle(video_id, user, liked)
            if toggled is not None:
                return toggled
            self.cache.load(self.store.state(video_id))  # a miss: rebuild from the truth, then retry
        raise CacheUnavailable(f"the like cache keeps losing video {video_id}")

    def _from_store(self, video_id: str, user: str, liked: bool, now: datetime) -> LikeAnswer:
        """Redis is down: queue the change all the same and answer from DynamoDB, flagged degraded."""
        currently = self.store.liked(video_id, user)
        count = self.store.count(video_id)
        self.queue.send(LikeChange(video_id, user, liked, _micros(now), iso(now)).to_dict())
        return LikeAnswer(video_id, liked, expected_count(count, currently, liked), degraded=True)


@dataclass(frozen=True)
class Handled:
    change: LikeChange
    applied: bool  # the change moved the truth (a new like or a real unlike): notify on new likes


class LikeWorker:
    """The likes queue's consumer logic: one message at a time, idempotent, in any order."""

    def __init__(self, store: Store, cache: Cache | None = None) -> None:
        self.store = store
        self.cache = cache

    def handle(self, message: dict[str, Any] | str | bytes) -> Handled:
        """Apply one queued change durably; a malformed message raises `invalid_like_message`."""
        if isinstance(message, str | bytes):
            change = LikeChange.from_json(message)
        else:
            change = LikeChange.from_dict(message)
        applied = self.store.apply(change)
        if applied and self.cache is not None:
            with suppress(CacheUnavailable):  # the cache is best effort: DynamoDB already holds it
                self.cache.reconcile(change.video_id, change.user_id, change.liked, change.version)
        return Handled(change, applied)
