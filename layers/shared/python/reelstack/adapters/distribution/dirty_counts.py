"""Videos whose durable counts moved since their search document was written: a Redis sorted set.

The likes and plays workers mark a video (member = video id, score = when) after a durable write;
the count refresher reads the oldest marks, re-indexes those videos, then clears each mark only if its
score is still the one it read (a script: a video marked again meanwhile stays dirty for the next run).
So a refresh that fails half-way loses nothing, and a batch of likes on one video is one re-index.
One key, under its own hash tag: a cluster (ElastiCache Serverless) keeps it in one slot.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from reelstack.adapters.redis_client import REDIS_ERRORS, redis_from_url
from reelstack.errors import DependencyFailed

DIRTY_KEY = "{search-counts}:dirty"

# ARGV: member, score, member, score, ... -- remove each member whose score is still the one given.
_CLEAR = """
local removed = 0
for i = 1, #ARGV, 2 do
  local score = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if score and tonumber(score) <= tonumber(ARGV[i + 1]) then
    removed = removed + redis.call('ZREM', KEYS[1], ARGV[i])
  end
end
return removed
"""


class DirtyCounts:
    """The dirty set; `client` is injected (built from the URL on first use otherwise)."""

    def __init__(
        self, url: str = "", *, cluster: bool = False, timeout: float = 0.5, client: Any = None
    ) -> None:
        self._url = url
        self._cluster = cluster
        self._timeout = timeout
        self._client = client
        self._clear: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = redis_from_url(self._url, self._timeout, cluster=self._cluster)
        return self._client

    def mark(self, video_ids: Iterable[str], now_s: float) -> None:
        """Mark videos dirty at `now_s` (seconds since the epoch; a later mark replaces an earlier)."""
        members = {video_id: now_s for video_id in video_ids}
        if not members:
            return
        try:
            self.client.zadd(DIRTY_KEY, members, gt=True)
        except REDIS_ERRORS as exc:
            raise DependencyFailed(f"marking counts dirty failed: {exc}") from exc

    def oldest(self, limit: int) -> list[tuple[str, float]]:
        """Up to `limit` dirty videos, oldest mark first, with their marks."""
        try:
            rows = self.client.zrange(DIRTY_KEY, 0, limit - 1, withscores=True)
        except REDIS_ERRORS as exc:
            raise DependencyFailed(f"reading dirty counts failed: {exc}") from exc
        return [(_text(member), float(score)) for member, score in rows]

    def clear(self, marks: Sequence[tuple[str, float]]) -> int:
        """Clear the marks read (each only if not marked again since); the number cleared."""
        if not marks:
            return 0
        args: list[Any] = []
        for video_id, score in marks:
            args += [video_id, repr(score)]
        try:
            if self._clear is None:
                self._clear = self.client.register_script(_CLEAR)
            return int(self._clear(keys=[DIRTY_KEY], args=args))
        except REDIS_ERRORS as exc:
            raise DependencyFailed(f"clearing dirty counts failed: {exc}") from exc

    def size(self) -> int:
        try:
            return int(self.client.zcard(DIRTY_KEY))
        except REDIS_ERRORS as exc:
            raise DependencyFailed(f"counting dirty counts failed: {exc}") from exc


def build_dirty_counts(url: str, cluster: bool, timeout: float) -> DirtyCounts | None:
    """The dirty set at `url`; None when no Redis is configured (then nothing is marked)."""
    return DirtyCounts(url, cluster=cluster, timeout=timeout) if url else None


def _text(member: Any) -> str:
    return member.decode() if isinstance(member, bytes) else str(member)
