"""Redis as ElastiCache Serverless runs it: cluster mode, keys of a script or transaction in one slot,
at most 3,999 arguments per command. Against a cluster-mode redis-server of the local cloud's kind
(`RedisServer`, started here so that it can be stopped without disturbing other tests), and the
session's local cloud for what it runs.

redis-server has no argument cap of its own: the tests read its SLOWLOG (every command logged, with
its argument count) to check that no command of ours would exceed ElastiCache Serverless's."""

from __future__ import annotations

import ast
import hashlib
import re
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis

from reelstack.adapters.distribution.dirty_counts import DirtyCounts
from reelstack.adapters.engagement.like_cache import BATCH, LikeCache
from reelstack.adapters.engagement.play_stats import PlayStats, hot_key, interests_key
from reelstack.adapters.engagement.rate_limiter import RateLimiter, bucket_key
from reelstack.adapters.engagement.realtime_lag import RealtimeLag
from reelstack.domain.engagement.likes import LikeState
from reelstack.domain.engagement.plays import PlayEvent
from reelstack.domain.engagement.rate_limits import TokenBucket
from reelstack.errors import TooManyRequests
from reelstack_tools.localcloud.redis_server import ALL_SLOTS, RedisServer

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("layers/shared/python", "functions", "infra/reelstack_tools")
ELASTICACHE_MAX_ARGUMENTS = 3999
SLOWLOG_MORE = re.compile(rb"^\.\.\. \((\d+) more arguments\)$")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    node = RedisServer(0, tmp_path_factory.mktemp("redis-cluster"))
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def plain(server: RedisServer) -> redis.Redis:
    """A non-cluster client: it sends whatever it is given, so the server's own checks answer."""
    return redis.Redis.from_url(server.url, socket_timeout=2)


def lua_scripts() -> dict[str, str]:
    """Every Lua script in the project's source, by SHA1 -> where it is (a string that calls Redis)."""
    found: dict[str, str] = {}
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if (
                    isinstance(node, ast.Constant)
                    and isinstance(node.value, str)
                    and "redis.call(" in node.value
                ):
                    found[hashlib.sha1(node.value.encode()).hexdigest()] = (
                        f"{path.relative_to(ROOT)}:{node.lineno}"
                    )
        for path in sorted((ROOT / folder).rglob("*.lua")):
            found[hashlib.sha1(path.read_bytes()).hexdigest()] = str(path.relative_to(ROOT))
    return found


def argument_counts(client: redis.Redis) -> list[tuple[int, bytes]]:
    """(arguments, command name) of every command in the SLOWLOG (it keeps 32 arguments at most, the
    last one saying how many more there were)."""
    counts = []
    for entry in client.execute_command("SLOWLOG", "GET", "100000"):
        args = entry[3]
        more = SLOWLOG_MORE.match(args[-1]) if args else None
        counts.append((len(args) - 1 + int(more.group(1)) if more else len(args), args[0]))
    return counts


def log_every_command(client: redis.Redis) -> None:
    client.config_set("slowlog-log-slower-than", 0)
    client.config_set("slowlog-max-len", 100000)
    client.slowlog_reset()


def test_the_local_redis_refuses_scripts_and_transactions_across_slots(plain: redis.Redis) -> None:
    # GIVEN the local cloud's redis-server, in cluster mode, owning every slot
    info = plain.execute_command("CLUSTER", "INFO").decode()
    assert "cluster_state:ok" in info and f"cluster_slots_assigned:{ALL_SLOTS}" in info
    # WHEN a script touches a video's key and a viewer's key (the old plays script did)
    # THEN the server refuses it, as ElastiCache Serverless does
    two_slots = "redis.call('INCR', KEYS[1]); redis.call('INCR', KEYS[2]); return 1"
    with pytest.raises(redis.ResponseError, match=r"(?i)cross.?slot|don't hash to the same slot"):
        plain.eval(two_slots, 2, "plays:{v1}:day:2026-01-01", "interests:{u1}")
    # AND a MULTI transaction across slots is refused too
    with pytest.raises(redis.ResponseError):
        pipe = plain.pipeline(transaction=True)
        pipe.incr("plays:{v1}:uv-test").incr("plays:{hot}:1")
        pipe.execute()
    assert plain.get("plays:{v1}:uv-test") is None  # nothing of it ran
    # AND there is no database but 0
    with pytest.raises(redis.ResponseError, match="SELECT is not allowed in cluster mode"):
        plain.execute_command("SELECT", "9")
    # WHEN the same script's keys share one hash tag THEN it runs
    assert plain.eval(two_slots, 2, "plays:{v1}:a", "plays:{v1}:b") == 1


def test_every_lua_script_runs_on_the_cluster_with_more_likers_than_one_command_may_carry(
    server: RedisServer, plain: redis.Redis
) -> None:
    # GIVEN every Lua script in the project, none loaded yet, and every command logged
    scripts = lua_scripts()
    assert len(scripts) >= 6, scripts  # likes (3), rate limiter (1), plays (2) at least
    plain.script_flush()
    log_every_command(plain)

    # WHEN the likes of a video with 5,000 likers are rebuilt through the cluster client, a change that
    # DynamoDB applied meanwhile waits in `pending`, then a like and a reconcile follow
    cache = LikeCache(server.url, cluster=True)
    video = uuid.uuid4().hex
    likers = {f"user-{i:05d}" for i in range(5000)}
    assert cache.reconcile(video, "late", True, 1) is False  # not loaded: kept in pending
    assert cache.load(LikeState(video, frozenset(likers), len(likers), 10)) is True
    rebuild = argument_counts(plain)
    # THEN the cache holds every liker and the pending change, and no staging set is left behind
    assert cache.snapshot(video) == (likers | {"late"}, 5001)
    assert list(plain.scan_iter(match=f"likes:{{{video}}}:staging:*")) == []
    # AND no command carried more arguments than ElastiCache Serverless accepts
    largest = max(rebuild)
    assert largest[0] <= ELASTICACHE_MAX_ARGUMENTS and largest[0] <= BATCH + 10, largest
    # AND a second rebuild while loaded changes nothing and leaves no staging set either
    assert cache.load(LikeState(video, frozenset({"other"} | likers), 5001, 11)) is False
    assert list(plain.scan_iter(match=f"likes:{{{video}}}:staging:*")) == []
    toggled = cache.toggle(video, "newcomer", True)
    assert toggled is not None and (toggled.liked, toggled.count, toggled.changed) == (True, 5002, True)
    assert cache.reconcile(video, "user-00000", False, toggled.version + 1) is True
    assert cache.snapshot(video) == ((likers | {"late", "newcomer"}) - {"user-00000"}, 5001)

    # WHEN a play is counted (gate, counters, hot list, interests), then repeated within the window
    at = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
    stats = PlayStats(server.url, cluster=True, clock=lambda: at + timedelta(seconds=1))
    play = PlayEvent(video, "viewer-1", "s", 3000, at)
    assert stats.record(play, ["cats", "dogs", "cats"]) is True
    assert stats.record(play, ["cats"]) is False
    # THEN every counter moved once
    assert (stats.unique_viewers(video), stats.plays_today(video)) == (1, 1)
    assert stats.hot(3) == [(video, pytest.approx(1.0))]
    assert {tag for tag, _ in stats.interests("viewer-1", 5)} == {"cats", "dogs"}

    # WHEN a user's token bucket is drawn past its burst
    limiter = RateLimiter({"like": TokenBucket(rate_per_s=0.01, burst=2)}, server.url, cluster=True)
    decisions = [limiter.check("user-1", "like") for _ in range(3)]
    # THEN Redis (its key exists) allowed the burst and refused the next
    assert [d.allowed for d in decisions] == [True, True, False]
    assert plain.exists(bucket_key("like", "user-1"))

    # WHEN videos are marked as having dirty counts, then the marks read are cleared
    dirty = DirtyCounts(server.url, cluster=True)
    dirty.mark([video, "other-video"], 100.0)
    marks = dirty.oldest(10)
    dirty.mark(["other-video"], 200.0)  # marked again after the read: its mark must stay
    # THEN only the marks unchanged since the read are cleared
    assert dirty.clear(marks) == 1
    assert [video_id for video_id, _ in dirty.oldest(10)] == ["other-video"]

    # WHEN the real-time path is stamped: a play queued at 1 s, applied, an older stamp, a new play
    lag = RealtimeLag(server.url, cluster=True)
    lag.queued("plays", 1_000)
    assert lag.lag_s(4_000) == 3.0  # waiting since it was queued
    lag.applied("plays", 1_000)
    assert lag.lag_s(9_000) == 0.0  # nothing waits
    lag.applied("plays", 500)  # THEN a stamp never moves back
    lag.queued("plays", 2_000)
    assert lag.lag_s(7_000) == 6.0  # the oldest waiting play is at most 6 s old

    # AND every Lua script of the project was loaded on the server (each ran, as the checks above show)
    loaded = plain.script_exists(*scripts)
    assert [where for (sha, where), ok in zip(scripts.items(), loaded, strict=True) if not ok] == []
    assert max(argument_counts(plain))[0] <= ELASTICACHE_MAX_ARGUMENTS


class LosesAStagedUser(LikeCache):
    """A rebuild whose staging set is not whole when the load script runs (as after a restart or an
    expiry between the batches and the script)."""

    def _stage(self, staging: str, users: list[str]) -> None:
        super()._stage(staging, users[:-1])


def test_a_rebuild_whose_staged_likers_are_not_whole_loads_nothing(
    server: RedisServer, plain: redis.Redis
) -> None:
    # GIVEN a video with more likers than one command carries, and a rebuild that loses one staged liker
    video = uuid.uuid4().hex
    state = LikeState(video, frozenset(f"user-{i:05d}" for i in range(BATCH + 500)), BATCH + 500, 1)
    # WHEN it loads THEN nothing is loaded (the next touch rebuilds), and no staging set is left
    assert LosesAStagedUser(server.url, cluster=True).load(state) is False
    assert LikeCache(server.url, cluster=True).snapshot(video) is None
    assert list(plain.scan_iter(match=f"likes:{{{video}}}:staging:*")) == []
    # AND the next rebuild loads every liker
    cache = LikeCache(server.url, cluster=True)
    assert cache.load(state) is True
    assert cache.snapshot(video) == (set(state.users), BATCH + 500)


def test_a_failed_hot_list_or_interest_update_loses_only_that_update(
    server: RedisServer, plain: redis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN the current hot bucket and the viewer's interests hold values of the wrong type, so that
    # both updates after the gate fail (WRONGTYPE) while the video's own keys are fine
    at = datetime(2030, 7, 1, 12, 0, tzinfo=UTC)
    stats = PlayStats(server.url, cluster=True, clock=lambda: at)
    video, viewer = uuid.uuid4().hex, uuid.uuid4().hex
    bucket = hot_key(int(at.timestamp() // stats.hot_bucket_s))
    plain.set(bucket, "not a sorted set")
    plain.set(interests_key(viewer), "not a hash")
    try:
        # WHEN the viewer's play is recorded, then its beacon is retried
        first = stats.record(PlayEvent(video, viewer, "s", 3000, at), ["cats"])
        again = stats.record(PlayEvent(video, viewer, "s", 3000, at), ["cats"])
        # THEN the play counted once, and only once, on the video's own counters
        assert (first, again) == (True, False)
        assert (stats.plays_today(video), stats.unique_viewers(video)) == (1, 1)
        # AND the two failed updates were logged, not raised
        logged = caplog.text
        assert "the hot list not updated" in logged and "the viewer's interests not updated" in logged
    finally:
        plain.delete(bucket)  # one key per DEL: they are in different slots
        plain.delete(interests_key(viewer))


def test_with_redis_down_the_limiter_still_refuses_beyond_the_burst(server: RedisServer) -> None:
    # GIVEN a limiter of burst 3 (1 token a second) on the clock of a test, and Redis stopped
    now = [datetime(2030, 1, 1, tzinfo=UTC)]
    limiter = RateLimiter(
        {"play": TokenBucket(rate_per_s=1, burst=3)},
        server.url,
        clock=lambda: now[0],
        cluster=True,
        socket_timeout=0.2,
        redis_retry_s=0.0,  # try Redis on every call: the test restarts it
    )
    user = uuid.uuid4().hex
    server.stop()
    try:
        # WHEN the user plays 4 times at once
        decisions = [limiter.check(user, "play") for _ in range(4)]
        # THEN the per-instance bucket allows the burst and refuses the 4th, with a retry-after
        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert decisions[-1].retry_after_s == pytest.approx(1.0)
        with pytest.raises(TooManyRequests):
            limiter.enforce(user, "play")
        # AND another user has a bucket of their own
        assert limiter.check("someone-else", "play").allowed
        # AND a second later a token is back
        now[0] += timedelta(seconds=1)
        assert limiter.check(user, "play").allowed
        assert not limiter.check(user, "play").allowed
    finally:
        server.start()
    # WHEN Redis is back (the node restarted, every slot its own again)
    # THEN the limiter uses it again: its bucket there starts full
    back = limiter.check(user, "play")
    assert back.allowed and back.remaining == pytest.approx(2.0)
    assert redis.Redis.from_url(server.url).exists(bucket_key("play", user))


def _free_port_above(low: int) -> int:
    for port in range(low + 1, 65000):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise AssertionError(f"no free port above {low}")


def test_a_node_on_a_port_above_55535_starts_in_cluster_mode(tmp_path: Path) -> None:
    # GIVEN a port whose default cluster bus port (port + 10000) would not exist
    node = RedisServer(_free_port_above(55535), tmp_path)
    # WHEN the node starts THEN it serves as a cluster (its bus has a port of its own)
    node.start()
    try:
        info = redis.Redis.from_url(node.url).execute_command("CLUSTER", "INFO").decode()
        assert "cluster_state:ok" in info
    finally:
        node.stop()


def test_the_local_clouds_redis_is_a_cluster(local_cloud: Any) -> None:
    # GIVEN the session's local cloud WHEN its Redis is asked THEN it is a cluster owning every slot
    client = redis.Redis.from_url(local_cloud.redis_url, socket_timeout=2)
    info = client.execute_command("CLUSTER", "INFO").decode()
    assert "cluster_state:ok" in info and f"cluster_slots_assigned:{ALL_SLOTS}" in info
    # AND it refuses a script across slots
    with pytest.raises(redis.ResponseError):
        client.eval("return redis.call('MGET', KEYS[1], KEYS[2])", 2, "a{1}", "b{2}")
