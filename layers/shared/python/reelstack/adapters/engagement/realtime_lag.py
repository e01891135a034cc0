"""How far behind the real-time path is: a Redis hash the API and the workers stamp, read by the feed.

    rt:{lag}   hash, per path (`plays`, later `likes`):
               <path>:queued    event time (ms) of the newest event the API queued
               <path>:applied   event time (ms) of the newest event a worker applied

The lag of a path is 0 while nothing is waiting (queued <= applied); otherwise it is
`now - applied`: every waiting event is newer than the last applied one, so the oldest waiting
event is at most that old, and a stalled worker makes it grow second by second. With the plays
worker's 1 s batching window the lag is a second or two in steady state. Both stamps only move
forward (a Lua max), so an out-of-order batch does not pull them back. Best effort everywhere: a
failed stamp is logged by the caller and changes nothing else.
"""

from __future__ import annotations

from typing import Any

from reelstack.adapters.redis_client import REDIS_ERRORS, redis_from_url
from reelstack.errors import DependencyFailed

KEY = "rt:{lag}"
_FORWARD = """
local old = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) > old then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
redis.call('EXPIRE', KEYS[1], 86400)
return 1
"""


class RealtimeLag:
    def __init__(
        self, url: str | None = None, *, client: Any = None, cluster: bool = False, timeout_s: float = 0.3
    ):
        if client is None and not url:
            raise ValueError("the lag marker needs a Redis client or URL")
        self._url = url
        self._client = client
        self._cluster = cluster
        self._timeout_s = timeout_s
        self._script: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = redis_from_url(str(self._url), self._timeout_s, cluster=self._cluster)
        return self._client

    def _stamp(self, field: str, event_ms: int) -> None:
        try:
            if self._script is None:
                self._script = self.client.register_script(_FORWARD)
            self._script(keys=[KEY], args=[field, int(event_ms)])
        except REDIS_ERRORS as exc:
            raise DependencyFailed(f"stamping {field} failed: {exc}", code="lag_unavailable") from exc

    def queued(self, path: str, event_ms: int) -> None:
        self._stamp(f"{path}:queued", event_ms)

    def applied(self, path: str, event_ms: int) -> None:
        self._stamp(f"{path}:applied", event_ms)

    def lag_s(self, now_ms: int, paths: tuple[str, ...] = ("plays",)) -> float:
        """The largest lag of `paths`, in seconds."""
        try:
            raw = self.client.hgetall(KEY)
        except REDIS_ERRORS as exc:
            raise DependencyFailed(
                f"reading the real-time lag failed: {exc}", code="lag_unavailable"
            ) from exc
        stamps = {(k.decode() if isinstance(k, bytes) else str(k)): int(v) for k, v in raw.items()}
        worst = 0.0
        for path in paths:
            queued, applied = stamps.get(f"{path}:queued", 0), stamps.get(f"{path}:applied", 0)
            if queued > applied:
                worst = max(worst, (now_ms - applied) / 1000.0 if applied else (now_ms - queued) / 1000.0)
        return max(worst, 0.0)
