"""The like cache in Redis (ElastiCache): de-duplicates and counts likes in one atomic step.

Keys of one video share the hash tag `{video_id}`, so every script touches one cluster slot:

    likes:{V}:users     set of the users who like V
    likes:{V}:count     the like count (moved only when membership changed)
    likes:{V}:seq       the last version issued for V (hybrid logical clock, microseconds)
    likes:{V}:versions  hash user -> the version of that user's newest action the cache has seen
    likes:{V}:loaded    marker: the keys above were rebuilt from DynamoDB (expires: a periodic rebuild)
    likes:{V}:pending   hash user -> "liked|version": changes DynamoDB applied while V was not loaded
    likes:{V}:staging:T the users of rebuild T, loaded in batches before `load` swaps them in
                        (expires after `STAGING_TTL_MS`: an abandoned rebuild leaves nothing behind)

`toggle` runs ONE Lua script (EVALSHA, NOSCRIPT fallback through redis-py's `register_script`) that,
when the video is loaded, adds or removes the user, moves the counter only if membership changed,
and issues the change's version `max(seq + 1, redis TIME in us)`; a wall-clock floor keeps versions
growing across a flush or restart that lost `seq` (and `load` seeds `seq` from DynamoDB's newest).
When the marker is missing it answers "miss" and changes nothing: the caller rebuilds with `load`,
which writes the truth only if the marker is still missing (two rebuilders cannot interleave).
ElastiCache Serverless refuses a command of more than 3,999 arguments, so `load` passes at most
`BATCH` users in one command: a video with more likers has them SADDed `BATCH` at a time into its
own staging set (a token per rebuild: two rebuilders never share one), and the load script then
renames that set over `users` in the same atomic step as before (or deletes it when another rebuild
won, or when the set is not whole -- expired or lost in a restart: then nothing is loaded and the
caller's next touch rebuilds again). Every command and script names only `{V}` keys: one cluster slot.

`reconcile` lets the likes worker make the cache agree with a change that DynamoDB just applied,
unless the cache has seen a newer action of that user (the `versions` hash) -- it closes the gap of
a change queued before a flush and applied after the rebuild. When the video is not loaded, the
change is kept in `pending` (the newest per user) and the next `load` applies it: a rebuild reads
DynamoDB, then writes what it read, and a change the worker applied in between would otherwise be
missing from Redis until the marker expired. Every pending change is one DynamoDB accepted as the
user's newest, so applying it over a state read before or after it is right either way; `load`
empties `pending`, and changes applied while loaded go straight to the set.

Every Redis error becomes `CacheUnavailable`: the service answers from DynamoDB instead.
Eviction: run the cluster with `maxmemory-policy noeviction` (or volatile-* with these TTLs):
an evicted `users` set under a live marker would read as "nobody likes it" until the marker expires.
"""

from __future__ import annotations

import uuid
from typing import Any

from redis.commands.core import Script

from reelstack.adapters.redis_client import REDIS_ERRORS, redis_from_url
from reelstack.domain.engagement.likes import CacheUnavailable, LikeState, Toggled
from reelstack.settings import LikeSettings

# KEYS: users, count, seq, versions, loaded. ARGV: user, want (1 like | 0 unlike).
# Returns {status, liked, count, changed, version}; status 0 = miss (not loaded), 1 = done.
_TOGGLE = """
if redis.call('EXISTS', KEYS[5]) == 0 then
  return {0, 0, 0, 0, 0}
end
local want = tonumber(ARGV[2])
local changed
if want == 1 then
  changed = redis.call('SADD', KEYS[1], ARGV[1])
else
  changed = redis.call('SREM', KEYS[1], ARGV[1])
end
local count
if changed == 1 then
  if want == 1 then
    count = redis.call('INCRBY', KEYS[2], 1)
  else
    count = redis.call('INCRBY', KEYS[2], -1)
  end
else
  count = tonumber(redis.call('GET', KEYS[2]) or '0')
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local version = math.max(last + 1, now)
local text = string.format('%.0f', version)
redis.call('SET', KEYS[3], text)
redis.call('HSET', KEYS[4], ARGV[1], text)
local pttl = redis.call('PTTL', KEYS[2])
if pttl > 0 then
  redis.call('PEXPIRE', KEYS[1], pttl)
  redis.call('PEXPIRE', KEYS[3], pttl)
  redis.call('PEXPIRE', KEYS[4], pttl)
end
return {1, want, count, changed, text}
"""

# KEYS: users, count, seq, versions, loaded, pending, staging. ARGV: ttl_ms, count, version floor,
# staged (how many users were staged, 0 = none), user... (at most BATCH, when none were staged).
# Rebuilds only while the marker is missing and the staging set is whole (then takes the staged users,
# applies and empties `pending`); returns 1 when it did. Staging is always deleted.
_LOAD = """
local staged = tonumber(ARGV[4])
if redis.call('EXISTS', KEYS[5]) == 1 or redis.call('SCARD', KEYS[7]) ~= staged then
  redis.call('DEL', KEYS[7])
  return 0
end
redis.call('DEL', KEYS[1], KEYS[2], KEYS[4])
if staged > 0 then
  redis.call('RENAME', KEYS[7], KEYS[1])
end
for i = 5, #ARGV do
  redis.call('SADD', KEYS[1], ARGV[i])
end
local count = tonumber(ARGV[2])
local pending = redis.call('HGETALL', KEYS[6])
for i = 1, #pending, 2 do
  local liked, version = string.match(pending[i + 1], '^(%d)|(%d+)$')
  if liked == '1' then
    count = count + redis.call('SADD', KEYS[1], pending[i])
  else
    count = count - redis.call('SREM', KEYS[1], pending[i])
  end
  redis.call('HSET', KEYS[4], pending[i], version)
end
redis.call('DEL', KEYS[6])
redis.call('SET', KEYS[2], count)
local floor = tonumber(ARGV[3])
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
if floor > last then
  redis.call('SET', KEYS[3], ARGV[3])
end
local ttl = tonumber(ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl + 3600000)
redis.call('PEXPIRE', KEYS[2], ttl + 3600000)
redis.call('SET', KEYS[5], '1', 'PX', ttl)
return 1
"""

# KEYS: users, count, versions, loaded, pending. ARGV: user, liked (1|0), version, pending_ttl_ms.
# Returns 1 when the cache moved to the change, 0 when it has seen a newer action or is not loaded
# (then the change waits in `pending`, unless a newer one of the user already does).
_RECONCILE = """
if redis.call('EXISTS', KEYS[4]) == 0 then
  local waiting = redis.call('HGET', KEYS[5], ARGV[1])
  local waiting_version = waiting and tonumber(string.match(waiting, '|(%d+)$')) or 0
  if tonumber(ARGV[3]) > waiting_version then
    redis.call('HSET', KEYS[5], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
  end
  redis.call('PEXPIRE', KEYS[5], ARGV[4])
  return 0
end
local seen = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
if seen >= tonumber(ARGV[3]) then
  return 0
end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
local changed
if ARGV[2] == '1' then
  changed = redis.call('SADD', KEYS[1], ARGV[1])
  if changed == 1 then redis.call('INCRBY', KEYS[2], 1) end
else
  changed = redis.call('SREM', KEYS[1], ARGV[1])
  if changed == 1 then redis.call('INCRBY', KEYS[2], -1) end
end
return 1
"""


# A pending change outlives any rebuild in flight; a rebuild after it reads the change from DynamoDB.
PENDING_TTL_MS = 15 * 60 * 1000
# Users per command: ElastiCache Serverless refuses more than 3,999 arguments in one command.
BATCH = 1000
# A staging set outlives its rebuild's batches; an abandoned one expires.
STAGING_TTL_MS = 5 * 60 * 1000


def keys(video_id: str) -> dict[str, str]:
    """The video's keys, one hash slot (`{video_id}`)."""
    prefix = f"likes:{{{video_id}}}"
    names = ("users", "count", "seq", "versions", "loaded", "pending")
    return {name: f"{prefix}:{name}" for name in names}


def staging_key(video_id: str, token: str) -> str:
    """Where rebuild `token` of the video stages its users (same slot as the video's other keys)."""
    return f"likes:{{{video_id}}}:staging:{token}"


class LikeCache:
    """Likes per video in Redis. `client` is injected, or built lazily from `url` on first use."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: Any = None,
        loaded_ttl_seconds: int = 24 * 3600,
        socket_timeout: float = 0.5,
        cluster: bool = False,
    ) -> None:
        if client is None and not url:
            raise ValueError("a like cache needs a Redis client or URL")
        self._url = url
        self._client = client
        self._socket_timeout = socket_timeout
        self._cluster = cluster
        self._ttl_ms = loaded_ttl_seconds * 1000
        self._scripts: dict[str, Script] = {}

    @classmethod
    def from_settings(cls, settings: LikeSettings) -> LikeCache:
        return cls(
            settings.redis_url,
            loaded_ttl_seconds=settings.like_cache_ttl_seconds,
            socket_timeout=settings.like_cache_timeout_seconds,
            cluster=settings.redis_cluster,
        )

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = redis_from_url(str(self._url), self._socket_timeout, cluster=self._cluster)
        return self._client

    def _script(self, name: str, source: str) -> Script:
        script = self._scripts.get(name)
        if script is None:
            script = self._scripts[name] = self.client.register_script(source)
        return script

    def _run(self, name: str, source: str, keys: list[str], args: list[Any]) -> Any:
        try:
            return self._script(name, source)(keys=keys, args=args)
        except REDIS_ERRORS as exc:
            raise CacheUnavailable(f"the like cache failed: {exc}") from exc

    # -- the like script ------------------------------------------------------------------------------
    def toggle(self, video_id: str, user_id: str, liked: bool) -> Toggled | None:
        """Like (`liked`) or unlike, atomically; None when the video's likes are not loaded (a miss)."""
        k = keys(video_id)
        order = [k["users"], k["count"], k["seq"], k["versions"], k["loaded"]]
        status, now_liked, count, changed, version = self._run(
            "toggle", _TOGGLE, order, [user_id, 1 if liked else 0]
        )
        if int(status) == 0:
            return None
        return Toggled(bool(int(now_liked)), int(count), bool(int(changed)), int(version))

    # -- rebuilding -----------------------------------------------------------------------------------
    def is_loaded(self, video_id: str) -> bool:
        try:
            return bool(self.client.exists(keys(video_id)["loaded"]))
        except REDIS_ERRORS as exc:
            raise CacheUnavailable(f"the like cache failed: {exc}") from exc

    def load(self, state: LikeState) -> bool:
        """Rebuild a video's likes from the truth, atomically and only if still missing; True if it did.
        More than `BATCH` users are staged `BATCH` at a time first (module docstring)."""
        k = keys(state.video_id)
        staging = staging_key(state.video_id, uuid.uuid4().hex)
        users = sorted(state.users)
        staged = 0
        if len(users) > BATCH:
            self._stage(staging, users)
            staged, users = len(users), []
        order = [k["users"], k["count"], k["seq"], k["versions"], k["loaded"], k["pending"], staging]
        args: list[Any] = [self._ttl_ms, state.count, state.version, staged, *users]
        return bool(self._run("load", _LOAD, order, args))

    def _stage(self, staging: str, users: list[str]) -> None:
        """SADD the users `BATCH` at a time, in one round trip (a pipeline, not a transaction); the
        TTL comes right after the first batch, so a staging set never lingers."""
        try:
            pipe = self.client.pipeline(transaction=False)
            for start in range(0, len(users), BATCH):
                pipe.sadd(staging, *users[start : start + BATCH])
                if start == 0:
                    pipe.pexpire(staging, STAGING_TTL_MS)
            pipe.execute()
        except REDIS_ERRORS as exc:
            raise CacheUnavailable(f"the like cache failed: {exc}") from exc

    def reconcile(self, video_id: str, user_id: str, liked: bool, version: int) -> bool:
        """Make the cache agree with an applied change unless it has seen a newer action of the user."""
        k = keys(video_id)
        order = [k["users"], k["count"], k["versions"], k["loaded"], k["pending"]]
        args = [user_id, 1 if liked else 0, version, PENDING_TTL_MS]
        return bool(self._run("reconcile", _RECONCILE, order, args))

    def invalidate(self, video_id: str) -> None:
        """Forget that the video is loaded: the next touch rebuilds it from DynamoDB."""
        try:
            self.client.delete(keys(video_id)["loaded"])
        except REDIS_ERRORS as exc:
            raise CacheUnavailable(f"the like cache failed: {exc}") from exc

    # -- reads (tests, the read side) ------------------------------------------------------------------
    def snapshot(self, video_id: str) -> tuple[set[str], int] | None:
        """(users, count) as the cache holds them, or None when not loaded."""
        k = keys(video_id)
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.exists(k["loaded"]).smembers(k["users"]).get(k["count"])
            loaded, users, count = pipe.execute()
        except REDIS_ERRORS as exc:
            raise CacheUnavailable(f"the like cache failed: {exc}") from exc
        if not loaded:
            return None
        return {u.decode() if isinstance(u, bytes) else str(u) for u in users}, int(count or 0)
