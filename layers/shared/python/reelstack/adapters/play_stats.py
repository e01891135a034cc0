"""Play counters in Redis (ElastiCache): the once-per-window gate and the fast read side of plays.

Keys (V = video, U = viewer, D = UTC day "YYYY-MM-DD", B = hot bucket number):

    plays:{V}:seen:U     the time (ms) of U's last counted play of V; expires with the window
    plays:{V}:uv         HyperLogLog of V's viewers (unique viewers, ~0.8% standard error)
    plays:{V}:day:D      V's plays on day D (expires after `day_ttl_s`)
    plays:hot:B          sorted set video -> plays in bucket B (`hot_bucket_s` wide), trimmed to the
                         `hot_keep` best, expiring after `hot_buckets` buckets; `hot` sums the last
                         `hot_buckets` buckets weighted by `hot_half_life_s`, so it decays
    interests:{U}        hash tag -> "score|t": U's interest in a tag as of t (unix seconds)

`record` is ONE Lua script (not a pipeline: a MULTI pipeline cannot make its writes depend on the
gate, and two round trips would let two beacons of one viewer both pass it): when V's gate for U is
closed (a play counted less than the window ago) it changes nothing and answers 0; otherwise it
opens the window, PFADDs, INCRs, ZINCRBYs (and trims) and bumps each tag of V with decay applied
on write (`score * 0.5^((now - t)/half_life) + weight`), then answers 1 -- all atomic per play.
The gate compares stored times instead of relying on key expiry alone, so an injected clock governs
it (tests); the expiry only cleans up. The script names every key it touches: it needs ElastiCache
with cluster mode disabled (one shard + replicas, as the stack declares); with cluster mode on it
would be split into a gate+video script on `{V}` and a second one for the hot list and interests.
Every Redis error becomes `DependencyFailed` (code `plays_unavailable`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import redis
from redis.commands.core import Script

from reelstack.adapters.redis_client import redis_from_url
from reelstack.domain.plays import PlayEvent, day_of, decay_factor, top_interests
from reelstack.errors import DependencyFailed
from reelstack.settings import PlayStatsSettings

# KEYS: seen, uv, day, hot, interests.
# ARGV: now_ms, window_ms, day_ttl_s, hot_keep, hot_ttl_s, half_life_s, weight, viewer, video, tags...
_RECORD = """
local now_ms = tonumber(ARGV[1])
local last = redis.call('GET', KEYS[1])
if last and now_ms - tonumber(last) < tonumber(ARGV[2]) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('PFADD', KEYS[2], ARGV[8])
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
redis.call('ZINCRBY', KEYS[4], 1, ARGV[9])
redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -(tonumber(ARGV[4]) + 1))
redis.call('EXPIRE', KEYS[4], ARGV[5])
local now_s = now_ms / 1000
local half_life = tonumber(ARGV[6])
local weight = tonumber(ARGV[7])
for i = 10, #ARGV do
  local score = 0
  local stored = redis.call('HGET', KEYS[5], ARGV[i])
  if stored then
    local s, t = string.match(stored, '^([^|]+)|(.+)$')
    local age = now_s - tonumber(t)
    if age < 0 then age = 0 end
    score = tonumber(s) * math.pow(0.5, age / half_life)
  end
  redis.call('HSET', KEYS[5], ARGV[i], string.format('%.17g|%.3f', score + weight, now_s))
end
if #ARGV >= 10 then
  redis.call('EXPIRE', KEYS[5], math.ceil(half_life * 10))
end
return 1
"""


def video_keys(video_id: str, viewer: str, day: str) -> dict[str, str]:
    return {
        "seen": f"plays:{{{video_id}}}:seen:{viewer}",
        "uv": f"plays:{{{video_id}}}:uv",
        "day": f"plays:{{{video_id}}}:day:{day}",
    }


def interests_key(user_id: str) -> str:
    return f"interests:{{{user_id}}}"


def hot_key(bucket: int) -> str:
    return f"plays:hot:{bucket}"


class PlayStats:
    """Plays in Redis. `client` is injected, or built lazily from `url` on first use."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        clock: Callable[[], datetime] | None = None,
        dedup_window_s: int = 3600,
        interest_half_life_s: float = 6 * 3600,
        interest_weight: float = 1.0,
        hot_bucket_s: int = 600,
        hot_buckets: int = 6,
        hot_keep: int = 1000,
        hot_half_life_s: float = 1800,
        day_ttl_s: int = 8 * 24 * 3600,
        socket_timeout: float = 0.5,
    ) -> None:
        if client is None and not url:
            raise ValueError("play stats need a Redis client or URL")
        self._url = url
        self._client = client
        self._socket_timeout = socket_timeout
        self._script: Script | None = None
        self.clock = clock or (lambda: datetime.now(UTC))
        self.dedup_window_s = dedup_window_s
        self.half_life_s = interest_half_life_s
        self.weight = interest_weight
        self.hot_bucket_s = hot_bucket_s
        self.hot_buckets = hot_buckets
        self.hot_keep = hot_keep
        self.hot_half_life_s = hot_half_life_s
        self.day_ttl_s = day_ttl_s

    @classmethod
    def from_settings(cls, settings: PlayStatsSettings) -> PlayStats:
        return cls(
            settings.redis_url,
            dedup_window_s=settings.play_dedup_window_seconds,
            interest_half_life_s=settings.interest_half_life_seconds,
            hot_bucket_s=settings.hot_bucket_seconds,
            hot_buckets=settings.hot_buckets,
            hot_half_life_s=settings.hot_half_life_seconds,
            socket_timeout=settings.play_cache_timeout_seconds,
        )

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = redis_from_url(str(self._url), self._socket_timeout)
        return self._client

    def _call(self, what: str, operation: Callable[[], Any]) -> Any:
        try:
            return operation()
        except redis.RedisError as exc:
            raise DependencyFailed(f"{what} failed: {exc}", code="plays_unavailable") from exc

    def _bucket(self, moment: datetime) -> int:
        return int(moment.timestamp() // self.hot_bucket_s)

    def record(self, play: PlayEvent, tags: Sequence[str] = ()) -> bool:
        """Count a play that passed the threshold: True if new, False if within the viewer's window."""
        keys = video_keys(play.video_id, play.viewer, play.day)
        now_ms = int(play.at.timestamp() * 1000)
        args: list[Any] = [
            now_ms,
            self.dedup_window_s * 1000,
            self.day_ttl_s,
            self.hot_keep,
            self.hot_bucket_s * (self.hot_buckets + 1),
            self.half_life_s,
            self.weight,
            play.viewer,
            play.video_id,
            *dict.fromkeys(tag for tag in tags if tag),
        ]
        if self._script is None:
            self._script = self.client.register_script(_RECORD)
        script = self._script
        all_keys = [keys["seen"], keys["uv"], keys["day"], hot_key(self._bucket(play.at))]
        result = self._call(
            "recording a play", lambda: script(keys=[*all_keys, interests_key(play.viewer)], args=args)
        )
        return bool(int(result))

    def forget(self, play: PlayEvent) -> None:
        """Reopen the viewer's window (the play could not be queued: let the client's retry count)."""
        key = video_keys(play.video_id, play.viewer, play.day)["seen"]
        self._call("reopening a play window", lambda: self.client.delete(key))

    def unique_viewers(self, video_id: str) -> int:
        key = video_keys(video_id, "", "")["uv"]
        return int(self._call("counting viewers", lambda: self.client.pfcount(key)))

    def plays_today(self, video_id: str) -> int:
        key = video_keys(video_id, "", day_of(self.clock()))["day"]
        return int(self._call("reading today's plays", lambda: self.client.get(key)) or 0)

    def hot(self, n: int) -> list[tuple[str, float]]:
        """The n most played videos of the last `hot_buckets` buckets, older buckets weighing less."""
        if n <= 0:
            return []
        now = self.clock()
        current = self._bucket(now)
        weights = {
            hot_key(current - age): decay_factor(age * self.hot_bucket_s, self.hot_half_life_s)
            for age in range(self.hot_buckets)
        }
        pairs = self._call("reading the hot list", lambda: self.client.zunion(weights, withscores=True))
        ranked = sorted(((_text(video), float(score)) for video, score in pairs), key=lambda p: (-p[1], p[0]))
        return ranked[:n]

    def interests(self, user_id: str, n: int) -> list[tuple[str, float]]:
        """The user's n strongest interest tags now, decayed to the clock's time."""
        raw = self._call("reading interests", lambda: self.client.hgetall(interests_key(user_id)))
        stored: dict[str, tuple[float, float]] = {}
        for tag, value in raw.items():
            score, _, at = _text(value).partition("|")
            stored[_text(tag)] = (float(score), float(at))
        return top_interests(stored, self.clock().timestamp(), self.half_life_s, n)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
