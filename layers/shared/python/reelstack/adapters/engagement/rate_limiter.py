"""Token buckets in Redis, one per user per route: `ratelimit:{route}:{user}` (the user is the hash
tag: one key per script, so one cluster slot) is a hash of `tokens` and `at_ms` (when they were
counted). ONE Lua script refills for the time elapsed, takes a token when there is one, and stores
the level (PEXPIRE: an idle bucket is full again after `burst / rate`, so it need not be kept
longer). The time is Redis's own (`TIME`, one clock for every API instance) unless a clock is
injected (tests). The arithmetic is `reelstack.domain.engagement.rate_limits.take`.

Redis down: the limiter falls back to per-instance buckets (`reelstack.domain.engagement.local_buckets`: the
same rates, in this process, at most `fallback_capacity` buckets, least recently used forgotten
first) and says so with a warning when it switches. After a failure it leaves Redis alone for
`redis_retry_s` (each try could cost a socket timeout), then tries it again; the Redis buckets
resume where they were (or full, after a restart). Refusing every like and play because the
limiter's store is unreachable would turn a cache outage into an API outage; letting everything
through would leave the API uncapped per user while it lasts. A fallback bucket caps each instance,
so a user may get up to N times the rate across N instances during an outage.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from redis.commands.core import Script

from reelstack.adapters.redis_client import REDIS_ERRORS, redis_from_url
from reelstack.domain.engagement.local_buckets import DEFAULT_CAPACITY, LocalBuckets
from reelstack.domain.engagement.rate_limits import Decision, TokenBucket, refusal
from reelstack.observability import logger
from reelstack.settings import RateLimitSettings

# KEYS: bucket. ARGV: rate_per_s, burst, cost, now_ms (-1 = Redis TIME).
# Returns {allowed, retry_after_ms, remaining_millitokens}.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at_ms')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
local elapsed = now - at
if elapsed < 0 then elapsed = 0 end
tokens = math.min(burst, tokens + elapsed * rate / 1000)
local allowed = 0
local retry_ms = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
else
  retry_ms = math.ceil((cost - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at_ms', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
return {allowed, retry_ms, math.floor(tokens * 1000)}
"""


def bucket_key(route: str, user_id: str) -> str:
    return f"ratelimit:{route}:{{{user_id}}}"


class RateLimiter:
    """`check(user, route)` -> Decision; `enforce` raises `TooManyRequests`. Routes without a bucket
    are not limited. `client` is injected, or built lazily from `url` on first use (a `RedisCluster`
    when `cluster`)."""

    def __init__(
        self,
        limits: Mapping[str, TokenBucket],
        url: str | None = None,
        *,
        client: Any = None,
        clock: Callable[[], datetime] | None = None,
        socket_timeout: float = 0.2,
        cluster: bool = False,
        fallback_capacity: int = DEFAULT_CAPACITY,
        redis_retry_s: float = 1.0,
    ) -> None:
        if client is None and not url:
            raise ValueError("a rate limiter needs a Redis client or URL")
        self.limits = dict(limits)
        self._url = url
        self._client = client
        self._clock = clock
        self._socket_timeout = socket_timeout
        self._cluster = cluster
        self._script: Script | None = None
        self.fallback = LocalBuckets(fallback_capacity)
        self._redis_retry_s = redis_retry_s
        self._redis_down_until = 0.0  # monotonic; while in the future, the fallback answers

    @classmethod
    def from_settings(cls, settings: RateLimitSettings, redis_url: str) -> RateLimiter:
        return cls(
            settings.buckets(),
            redis_url,
            socket_timeout=settings.rate_limit_timeout_seconds,
            cluster=settings.redis_cluster,
        )

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = redis_from_url(str(self._url), self._socket_timeout, cluster=self._cluster)
        return self._client

    def check(self, user_id: str, route: str, cost: float = 1.0) -> Decision:
        bucket = self.limits.get(route)
        if bucket is None:
            return Decision(True, 0.0, math.inf)
        if time.monotonic() < self._redis_down_until:
            return self._fallback(user_id, route, bucket, cost)
        now_ms = int(self._clock().timestamp() * 1000) if self._clock else -1
        try:
            if self._script is None:
                self._script = self.client.register_script(_TAKE)
            allowed, retry_ms, millitokens = self._script(
                keys=[bucket_key(route, user_id)], args=[bucket.rate_per_s, bucket.burst, cost, now_ms]
            )
        except REDIS_ERRORS as exc:
            self._redis_down_until = time.monotonic() + self._redis_retry_s
            logger.warning(
                "rate limiter's Redis unavailable: per-instance buckets for %.1f s",
                self._redis_retry_s,
                extra={"route": route, "error": repr(exc)},
            )
            return self._fallback(user_id, route, bucket, cost)
        return Decision(bool(int(allowed)), int(retry_ms) / 1000, int(millitokens) / 1000)

    def _fallback(self, user_id: str, route: str, bucket: TokenBucket, cost: float) -> Decision:
        """The per-instance bucket (module docstring): the same rate and burst, in this process."""
        now_s = self._clock().timestamp() if self._clock else time.monotonic()
        return self.fallback.take(user_id, route, bucket, now_s, cost)

    def enforce(self, user_id: str, route: str, cost: float = 1.0) -> Decision:
        """`check`, raising `TooManyRequests` (code `rate_limited`, `retry_after_s`) when refused."""
        decision = self.check(user_id, route, cost)
        if not decision.allowed:
            raise refusal(route, decision)
        return decision
