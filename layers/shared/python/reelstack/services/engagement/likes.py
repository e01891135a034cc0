"""Like / unlike: answered at once from Redis, made durable through the likes queue, exactly once.

`LikeService` serves the API: it checks the video is published, runs the cache's like script
(rebuilding the video's likes from DynamoDB on a miss), queues the change stamped with the script's
version, and answers from Redis. Every action is queued, even one that changed nothing in Redis:
the newest action must reach DynamoDB to outrank any older one still in flight. With Redis down the
change is still queued (stamped with this function's clock) and the answer comes from DynamoDB,
flagged `degraded` so the API can say so in a header. With a limiter, each call first takes a token
from the caller's "like" bucket (429 `rate_limited` with Retry-After when none is left).

`LikeWorker` serves the likes queue's consumer: it applies one change durably (idempotent, any order)
and, when the change moved the truth, brings the cache in line unless it has seen newer.
`LikeConsumer` is what the likes function runs per message: the worker, then `VideoLiked` (source
`reelstack.likes`) for a like that moved the truth, with the video's owner as author.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from reelstack.clock import iso, utc_now
from reelstack.domain.engagement.interactions import Interaction, like_event_id
from reelstack.domain.engagement.likes import (
    CacheUnavailable,
    LikeAnswer,
    LikeChange,
    LikeState,
    Toggled,
    expected_count,
)
from reelstack.domain.engagement.rate_limits import LIKE_ROUTE, Limiter
from reelstack.domain.identity import Principal
from reelstack.domain.request_input import parse_limit
from reelstack.domain.videos import Video, VideoStatus
from reelstack.errors import NotFound, ReelstackError
from reelstack.observability import logger

_LOAD_ATTEMPTS = 3
MAX_PAGE = 100
VIDEO_LIKED = "VideoLiked"
EVENT_SOURCE = "reelstack.likes"  # the notifications function's rule matches this source


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
    def likes_of(self, user_id: str, limit: int, cursor: str | None) -> Any: ...


class Sender(Protocol):
    def send(self, message: dict[str, Any]) -> str: ...


def _message(change: LikeChange, liker_name: str) -> dict[str, Any]:
    """The queued message: the change, plus the liker's display name for the author's notification
    (`LikeChange.from_dict` ignores it)."""
    return {**change.to_dict(), "liker_name": liker_name}


def _liker_name(message: dict[str, Any] | str | bytes) -> str:
    if isinstance(message, str | bytes):
        try:
            message = json.loads(message)
        except ValueError:
            return ""
    name = message.get("liker_name") if isinstance(message, dict) else None
    return name if isinstance(name, str) else ""


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


class Interests(Protocol):
    """The viewer's short-term interests (`PlayStats.bump_interests`): a like weighs more than a play."""

    def bump_interests(self, user_id: str, tags: Sequence[str], weight: float, at: datetime) -> None: ...


LIKE_INTEREST_WEIGHT = 3.0


class LikeService:
    def __init__(
        self,
        cache: Cache,
        store: Store,
        queue_sender: Sender,
        videos_lookup: Callable[[str], Video | None],
        clock: Callable[[], datetime] = utc_now,
        *,
        limiter: Limiter | None = None,
        interests: Interests | None = None,
    ) -> None:
        self.interests = interests
        self.cache = cache
        self.store = store
        self.queue = queue_sender
        self.videos_lookup = videos_lookup
        self.clock = clock
        self.limiter = limiter

    def like(self, principal: Principal, video_id: str) -> LikeAnswer:
        return self._set(principal, video_id, liked=True)

    def unlike(self, principal: Principal, video_id: str) -> LikeAnswer:
        return self._set(principal, video_id, liked=False)

    def _set(self, principal: Principal, video_id: str, liked: bool) -> LikeAnswer:
        if self.limiter is not None:
            self.limiter.enforce(principal.user_id, LIKE_ROUTE)
        video = self.videos_lookup(video_id)
        if video is None or video.status != VideoStatus.PUBLISHED:
            raise NotFound(f"no published video {video_id}", code="video_not_found")
        user = principal.user_id
        now = self.clock()
        try:
            toggled = self._toggle(video_id, user, liked)
        except CacheUnavailable:
            return self._from_store(video_id, user, liked, now, principal.username)
        change = LikeChange(video_id, user, liked, toggled.version, iso(now))
        try:
            self.queue.send(_message(change, principal.username))
        except Exception:
            # Redis is now ahead of the truth: forget the video so the next touch rebuilds it.
            with suppress(CacheUnavailable):
                self.cache.invalidate(video_id)
            raise
        if liked and self.interests is not None and video.tags:
            try:  # best effort: the like stands whether or not the feed learns from it at once
                self.interests.bump_interests(user, video.tags, LIKE_INTEREST_WEIGHT, now)
            except ReelstackError as error:
                logger.warning(
                    "like: interests not bumped", extra={"video_id": video_id, "error": str(error)}
                )
        return LikeAnswer(video_id, toggled.liked, toggled.count)

    def liked_videos(
        self, principal: Principal, limit_text: str | None, cursor: str | None
    ) -> dict[str, Any]:
        """The caller's liked videos, newest like first: `{items: [{video_id, liked_at}], cursor}`.
        Durable likes only: a like still in the queue shows up once the worker has written it."""
        limit = parse_limit(limit_text, default=20, maximum=MAX_PAGE)
        page = self.store.likes_of(principal.user_id, limit, cursor)
        items = [{"video_id": like.video_id, "liked_at": like.liked_at} for like in page.likes]
        return {"items": items, "cursor": page.cursor}

    def _toggle(self, video_id: str, user: str, liked: bool) -> Toggled:
        for _ in range(_LOAD_ATTEMPTS):
            toggled = self.cache.toggle(video_id, user, liked)
            if toggled is not None:
                return toggled
            self.cache.load(self.store.state(video_id))  # a miss: rebuild from the truth, then retry
        raise CacheUnavailable(f"the like cache keeps losing video {video_id}")

    def _from_store(self, video_id: str, user: str, liked: bool, now: datetime, name: str = "") -> LikeAnswer:
        """Redis is down: queue the change all the same and answer from DynamoDB, flagged degraded."""
        currently = self.store.liked(video_id, user)
        count = self.store.count(video_id)
        self.queue.send(_message(LikeChange(video_id, user, liked, _micros(now), iso(now)), name))
        return LikeAnswer(video_id, liked, expected_count(count, currently, liked), degraded=True)


@dataclass(frozen=True)
class Handled:
    change: LikeChange
    applied: bool  # the change moved the truth (a new like or a real unlike): notify on new likes


class InteractionLog(Protocol):
    """Where like changes go for the interaction log (`services.engagement.interaction_log.LogForwarder`)."""

    def forward(self, events: Sequence[Interaction]) -> None: ...


def like_interaction(change: LikeChange) -> Interaction:
    return Interaction(
        event_id=like_event_id(change.user_id, change.video_id, change.liked, change.version),
        kind="like" if change.liked else "unlike",
        user_id=change.user_id,
        occurred_at=datetime.fromisoformat(change.at.replace("Z", "+00:00")),
        video_id=change.video_id,
    )


class LikeWorker:
    """The likes queue's consumer logic: one message at a time, idempotent, in any order. Every change
    (applied or superseded: it happened) is forwarded to the interaction log after the store took it;
    a failed forward fails the message, and its redelivery changes nothing in the store."""

    def __init__(self, store: Store, cache: Cache | None = None, log: InteractionLog | None = None) -> None:
        self.store = store
        self.cache = cache
        self.log = log

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
        if self.log is not None:
            self.log.forward([like_interaction(change)])
        return Handled(change, applied)


class Publisher(Protocol):
    def publish(
        self, detail_type: str, detail: dict[str, Any], resources: list[str] | None = None
    ) -> None: ...


class DurableLikes(Protocol):
    def holds(self, change: LikeChange) -> bool: ...


class LikeConsumer:
    """One likes-queue message: made durable by the worker, then `VideoLiked` for a like that moved
    the truth (the video's owner as `author`; the notifications function drops self-likes).

    A failed publish fails the message, and its redelivery finds the like already applied: on a
    redelivery the event goes out again when the store still holds exactly this like (the
    notification store is idempotent per liker, so a repeat is harmless)."""

    def __init__(
        self,
        worker: LikeWorker,
        store: DurableLikes,
        events: Publisher,
        videos_lookup: Callable[[str], Video | None],
    ) -> None:
        self.worker = worker
        self.store = store
        self.events = events
        self.videos_lookup = videos_lookup

    def consume(self, message: dict[str, Any] | str | bytes, redelivered: bool = False) -> Handled:
        handled = self.worker.handle(message)
        change = handled.change
        if not change.liked:
            return handled
        if not handled.applied and not (redelivered and self.store.holds(change)):
            return handled
        video = self.videos_lookup(change.video_id)
        if video is None:
            logger.warning("liked video is gone: no VideoLiked", extra={"video_id": change.video_id})
            return handled
        detail = {
            "video_id": change.video_id,
            "author": video.owner,
            "liker": change.user_id,
            "liker_name": _liker_name(message),  # "" = notifications show the liker's id
            "liked_at": change.at,
        }
        self.events.publish(VIDEO_LIKED, detail, resources=[])
        return handled
