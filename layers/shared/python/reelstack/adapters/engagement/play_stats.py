"""Play counters in Redis (ElastiCache): the once-per-window gate and the fast read side of plays.

Keys (V = video, U = viewer, D = UTC day "YYYY-MM-DD", B = hot bucket number); the `{...}` part is
the hash tag, so each group below lives in one cluster slot:

    plays:{V}:seen:U     "<ms>|<call>": when U's last counted play of V was counted, and the id of
                         the `record` call that counted it; expires with the window
    plays:{V}:uv         HyperLogLog of V's viewers (unique viewers, ~0.8% standard error)
    plays:{V}:day:D      V's plays on day D (expires after `day_ttl_s`)
    plays:{hot}:B        sorted set video -> plays in bucket B (`hot_bucket_s` wide), trimmed to the
                         `hot_keep` best, expiring after `hot_buckets` buckets; `hot` sums the last
                         `hot_buckets` buckets weighted by `hot_half_life_s`, so it decays (ZUNION:
                         every bucket shares the tag `{hot}`, one slot, as a single bucket always was)
    interests:{U}        hash tag -> "score|t": U's interest in a tag as of t (unix seconds)
    seen:{U}             sorted set video -> ms of U's last counted play of it: what U has seen
                         lately (the `seen_keep` newest, expiring `seen_ttl_s` after the last play);
                         similar videos leave these out, the feed will too

ElastiCache Serverless is a cluster: a script may only touch keys of one slot (CROSSSLOT otherwise).
So `record` is three steps, in this order:

1. The gate and V's counters: ONE Lua script on `{V}` (not a pipeline: a MULTI pipeline cannot make
   its writes depend on the gate, and two round trips would let two beacons of one viewer both pass
   it). When V's gate for U is closed (a play counted less than the window ago) it changes nothing
   and answers 0; otherwise it opens the window, PFADDs and INCRs, and answers 1 -- atomic per play.
   If it fails, nothing was counted: `DependencyFailed` (code `plays_unavailable`), the beacon's
   retry counts it. The client retries a command whose answer was lost (a read timeout, a cluster
   redirect) with the same arguments, after the script may already have run: the gate remembers
   the id of the call that counted (a fresh one per `record`), and the same call finds it and
   answers 1 again without counting twice -- so a lost answer neither loses the play (answered
   "duplicate", never queued) nor counts it twice.
2. The hot list: one MULTI transaction on the current `{hot}` bucket (ZINCRBY, trim, EXPIRE), and
   the viewer's seen set: one on `seen:{U}` (ZADD, trim, EXPIRE).
3. The viewer's interests: ONE Lua script on `interests:{U}` that bumps each tag of V with decay
   applied on write (`score * 0.5^((now - t)/half_life) + weight`).

Steps 2 and 3 run only after step 1 counted the play, each once, and are never retried: a failure
there loses only that hot-list increment or that interest bump (logged as a warning with the video
and viewer), and the play stays counted and is queued as usual. Retrying a whole `record` could not
double count either: the gate is closed, so it answers "duplicate" and runs neither step again.
The gate compares stored times instead of relying on key expiry alone, so an injected clock governs
it (tests); the expiry only cleans up. Every other Redis error becomes `DependencyFailed`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from redis.commands.core import Script

from reelstack.adapters.redis_client import REDIS_ERRORS, redis_from_url
from reelstack.domain.engagement.plays import PlayEvent, day_of, decay_factor, top_interests
from reelstack.errors import DependencyFailed
from reelstack.observability import logger
from reelstack.settings import PlayStatsSettings

# KEYS: seen, uv, day (one slot: `{V}`). ARGV: now_ms, window_ms, day_ttl_s, viewer, call id.
# Returns 1 when the play counts (the window was open and is now closed, or this very call closed it
# and is being retried), 0 for a duplicate.
_COUNT = """
local now_ms = tonumber(ARGV[1])
local last = redis.call('GET', KEYS[1])
if last then
  local at, call = string.match(last, '^(%d+)|?(.*)$')
  if call == ARGV[5] then
    return 1
  end
  if at and now_ms - tonumber(at) < tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. ARGV[5], 'PX', ARGV[2])
redis.call('PFADD', KEYS[2], ARGV[4])
redis.call('INCR', KEYS[3])
redis.call('EXPIRE', KEYS[3], ARGV[3])
return 1
"""

# KEYS: interests (`interests:{U}`). ARGV: now_ms, half_life_s, weight, tag...
_INTERESTS = """
local now_s = tonumber(ARGV[1]) / 1000
local half_life = tonumber(ARGV[2])
local weight = tonumber(ARGV[3])
for i = 4, #ARGV do
  local score = 0
  local stored = redis.call('HGET', KEYS[1], ARGV[i])
  if stored then
    local s, t = string.match(stored, '^([^|]+)|(.+)$')
    local age = now_s - tonumber(t)
    if age < 0 then age = 0 end
    score = tonumber(s) * math.pow(0.5, age / half_life)
  end
  redis.call('HSET', KEYS[1], ARGV[i], string.format('%.17g|%.3f', score + weight, now_s))
end
redis.call('EXPIRE', KEYS[1], math.ceil(half_life * 10))
return #ARGV - 3
"""


def video_keys(video_id: str, viewer: str, day: str) -> dict[str, str]:
    return {
        "seen": f"plays:{{{video_id}}}:seen:{viewer}",
        "uv": f"plays:{{{video_id}}}:uv",
        "day": f"plays:{{{video_id}}}:day:{day}",
    }


def interests_key(user_id: str) -> str:
    return f"interests:{{{user_id}}}"


def seen_key(user_id: str) -> str:
    return f"seen:{{{user_id}}}"


REGIONS_KEY = "plays:{hot}:regions"  # the regions that had plays lately (the hot list's scopes)


def regional_hot_key(region: str, bucket: int) -> str:
    return f"plays:{{hot:{region}}}:{bucket}"


def hot_key(bucket: int) -> str:
    return f"plays:{{hot}}:{bucket}"


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
        seen_keep: int = 500,
        seen_ttl_s: int = 30 * 24 * 3600,
        socket_timeout: float = 0.5,
        cluster: bool = False,
    ) -> None:
        if client is None and not url:
            raise ValueError("play stats need a Redis client or URL")
        self._url = url
        self._client = client
        self._socket_timeout = socket_timeout
        self._cluster = cluster
        self._scripts: dict[str, Script] = {}
        self.clock = clock or (lambda: datetime.now(UTC))
        self.dedup_window_s = dedup_window_s
        self.half_life_s = interest_half_life_s
        self.weight = interest_weight
        self.hot_bucket_s = hot_bucket_s
        self.hot_buckets = hot_buckets
        self.hot_keep = hot_keep
        self.hot_half_life_s = hot_half_life_s
        self.day_ttl_s = day_ttl_s
        self.seen_keep = seen_keep
        self.seen_ttl_s = seen_ttl_s

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
            cluster=settings.redis_cluster,
        )

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = redis_from_url(str(self._url), self._socket_timeout, cluster=self._cluster)
        return self._client

    def _call(self, what: str, operation: Callable[[], Any]) -> Any:
        try:
            return operation()
        except REDIS_ERRORS as exc:
            raise DependencyFailed(f"{what} failed: {exc}", code="plays_unavailable") from exc

    def _bucket(self, moment: datetime) -> int:
        return int(moment.timestamp() // self.hot_bucket_s)

    def _script(self, name: str, source: str) -> Script:
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self.client.register_script(source)
        return script

    def record(self, play: PlayEvent, tags: Sequence[str] = ()) -> bool:
        """Count a play that passed the threshold: True if new, False if within the viewer's window.
        The hot list and the viewer's interests follow a counted play, best effort (module docstring)."""
        keys = video_keys(play.video_id, play.viewer, play.day)
        now_ms = int(play.at.timestamp() * 1000)
        call_id = uuid.uuid4().hex  # the same in the client's retries of this call, new for the next beacon
        args: list[Any] = [now_ms, self.dedup_window_s * 1000, self.day_ttl_s, play.viewer, call_id]
        result = self._call(
            "recording a play",
            lambda: self._script("count", _COUNT)(keys=[keys["seen"], keys["uv"], keys["day"]], args=args),
        )
        if not int(result):
            return False
        self._after_count("the hot list", play, lambda: self._bump_hot(play))
        self._after_count("the viewer's seen set", play, lambda: self._mark_seen(play))
        unique_tags = list(dict.fromkeys(tag for tag in tags if tag))
        if unique_tags:
            self._after_count("the viewer's interests", play, lambda: self._bump_interests(play, unique_tags))
        return True

    def _after_count(self, what: str, play: PlayEvent, operation: Callable[[], Any]) -> None:
        """A step after the gate counted the play: once, never retried; a failure is logged only."""
        try:
            operation()
        except REDIS_ERRORS as exc:
            logger.warning(
                "play counted, %s not updated",
                what,
                extra={"video_id": play.video_id, "viewer": play.viewer, "error": repr(exc)},
            )

    def _bump_hot(self, play: PlayEvent) -> None:
        bucket = self._bucket(play.at)
        keys = [hot_key(bucket)] + ([regional_hot_key(play.region, bucket)] if play.region else [])
        for key in keys:  # one transaction per slot: `{hot}` and the region's `{hot:R}`
            pipe = self.client.pipeline(transaction=True)
            pipe.zincrby(key, 1, play.video_id)
            pipe.zremrangebyrank(key, 0, -(self.hot_keep + 1))
            pipe.expire(key, self.hot_bucket_s * (self.hot_buckets + 1))
            if play.region and key == keys[0]:
                pipe.sadd(REGIONS_KEY, play.region)
                pipe.expire(REGIONS_KEY, self.hot_bucket_s * (self.hot_buckets + 1))
            pipe.execute()

    def hot_regions(self) -> list[str]:
        """The regions with plays in the hot window."""
        raw = self._call("reading the hot regions", lambda: self.client.smembers(REGIONS_KEY))
        return sorted(_text(region) for region in raw)

    def _mark_seen(self, play: PlayEvent) -> None:
        key = seen_key(play.viewer)
        pipe = self.client.pipeline(transaction=True)
        pipe.zadd(key, {play.video_id: int(play.at.timestamp() * 1000)})
        pipe.zremrangebyrank(key, 0, -(self.seen_keep + 1))
        pipe.expire(key, self.seen_ttl_s)
        pipe.execute()

    def seen(self, user_id: str, n: int = 500) -> list[str]:
        """The videos `user_id` played most lately (newest first, at most n)."""
        if n <= 0:
            return []
        raw = self._call("reading the seen set", lambda: self.client.zrevrange(seen_key(user_id), 0, n - 1))
        return [_text(video) for video in raw]

    def _bump_interests(self, play: PlayEvent, tags: list[str]) -> None:
        self._bump(play.viewer, tags, self.weight, play.at)

    def _bump(self, user_id: str, tags: Sequence[str], weight: float, at: datetime) -> None:
        args: list[Any] = [int(at.timestamp() * 1000), self.half_life_s, weight, *tags]
        self._script("interests", _INTERESTS)(keys=[interests_key(user_id)], args=args)

    def bump_interests(self, user_id: str, tags: Sequence[str], weight: float, at: datetime) -> None:
        """Another signal of interest in `tags` (a like): the same decaying score a play bumps."""
        if tags:
            self._call("bumping interests", lambda: self._bump(user_id, list(tags), weight, at))

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

    def hot(self, n: int, region: str | None = None) -> list[tuple[str, float]]:
        """The n most played videos of the last `hot_buckets` buckets (of `region`'s viewers when given),
        older buckets weighing less."""
        if n <= 0:
            return []
        now = self.clock()
        current = self._bucket(now)
        name = (lambda b: regional_hot_key(region, b)) if region else hot_key
        weights = {
            name(current - age): decay_factor(age * self.hot_bucket_s, self.hot_half_life_s)
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
