"""The per-viewer cache of the following feed in Redis: one short-lived JSON list per viewer.

    following:{<viewer>}   JSON [[published_at, video_id, author_id], ...], newest first, TTL 60 s
Dropped when the viewer follows or unfollows someone, so the tab changes at once. Best effort: a Redis
failure reads as a miss (the feed is rebuilt from DynamoDB) and a failed write is skipped.
"""

from __future__ import annotations

import json
from typing import Any

from reelstack.adapters.redis_client import REDIS_ERRORS, redis_from_url
from reelstack.domain.distribution.following_feed import FeedEntry
from reelstack.observability import logger

DEFAULT_TTL_S = 60


def _key(viewer: str) -> str:
    return f"following:{{{viewer}}}"


class FollowingCache:
    def __init__(
        self, url: str | None = None, *, client: Any = None, cluster: bool = False, ttl_s: int = DEFAULT_TTL_S
    ) -> None:
        if client is None and not url:
            raise ValueError("the following cache needs a Redis client or URL")
        self._url = url
        self._client = client
        self._cluster = cluster
        self.ttl_s = ttl_s

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = redis_from_url(str(self._url), 0.3, cluster=self._cluster)
        return self._client

    def get(self, viewer: str) -> list[FeedEntry] | None:
        try:
            raw = self.client.get(_key(viewer))
        except REDIS_ERRORS as error:
            logger.warning("following cache unreadable", extra={"error": str(error)})
            return None
        if raw is None:
            return None
        try:
            return [FeedEntry(*map(str, row)) for row in json.loads(raw)]
        except (ValueError, TypeError):
            return None

    def put(self, viewer: str, entries: list[FeedEntry]) -> None:
        rows = [[entry.published_at, entry.video_id, entry.author_id] for entry in entries]
        try:
            self.client.set(_key(viewer), json.dumps(rows, separators=(",", ":")), ex=self.ttl_s)
        except REDIS_ERRORS as error:
            logger.warning("following cache not written", extra={"error": str(error)})

    def drop(self, viewer: str) -> None:
        try:
            self.client.delete(_key(viewer))
        except REDIS_ERRORS as error:
            logger.warning("following cache not dropped", extra={"error": str(error)})
