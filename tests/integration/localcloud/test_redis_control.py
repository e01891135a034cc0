"""The control API stops and starts the local cloud's redis-server (the ElastiCache stand-in): an outage
that clients see as refused connections, then a restart on the same URL with an empty database."""

from __future__ import annotations

from typing import Any

import pytest
import redis

pytestmark = pytest.mark.integration


def _client(url: str) -> redis.Redis:
    # A stopped server refuses at once; the timeouts only bound a running one on a loaded machine.
    return redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)


def test_redis_stops_and_starts_again_on_the_same_url_empty(local_cloud: Any) -> None:
    # GIVEN the cloud's Redis, running, holding a key
    url = local_cloud.redis_url
    assert local_cloud.control("GET", "redis") == {"running": True, "url": url}
    client = _client(url)
    client.set("redis-control:before", "1")
    try:
        # WHEN it is stopped
        assert local_cloud.control("POST", "redis/stop") == {"redis": "stopped"}
        # THEN it says so, and a client's PING to its URL fails
        assert local_cloud.control("GET", "redis") == {"running": False, "url": url}
        with pytest.raises(redis.ConnectionError):
            _client(url).ping()
        # AND stopping it again is harmless
        assert local_cloud.control("POST", "redis/stop") == {"redis": "stopped"}
    finally:
        # WHEN it is started again (always: later tests need it)
        started = local_cloud.control("POST", "redis/start")
    # THEN it runs on the same URL, and the same client object reconnects to an empty database
    assert started == {"redis": "running", "url": url}
    assert local_cloud.control("GET", "redis") == {"running": True, "url": url}
    assert client.ping() is True  # its old connection was closed under it: redis-py reconnects
    assert client.dbsize() == 0
    assert client.get("redis-control:before") is None
    # AND cloud.json names the new redis-server process
    assert local_cloud.control("GET", "info")["pids"]["redis"] != local_cloud.info["pids"]["redis"]


def test_starting_a_running_redis_changes_nothing(local_cloud: Any) -> None:
    # GIVEN Redis running with a key
    client = _client(local_cloud.redis_url)
    client.set("redis-control:kept", "1")
    try:
        # WHEN it is started while running (handle method)
        url = local_cloud.start_redis()
        # THEN it is the same server: the key is still there
        assert url == local_cloud.redis_url
        assert client.get("redis-control:kept") == b"1"
        assert local_cloud.redis_running()
    finally:
        client.delete("redis-control:kept")


def test_the_handle_stops_and_starts_redis(local_cloud: Any) -> None:
    # GIVEN the handle's methods WHEN stopping THEN Redis is down; WHEN starting THEN up again
    try:
        local_cloud.stop_redis()
        assert not local_cloud.redis_running()
    finally:
        local_cloud.start_redis()
    assert local_cloud.redis_running()
    assert _client(local_cloud.redis_url).ping() is True
