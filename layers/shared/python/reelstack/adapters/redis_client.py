"""A Redis client from a URL, with the timeouts every Redis adapter uses (one place to tune them).

ElastiCache Serverless is always a cluster (`REDIS_CLUSTER=true` in the template, and the local
cloud's redis-server runs in cluster mode too): there the client is redis-py's `RedisCluster`, which
routes each command to the node owning its keys' hash slot and refuses, before sending, a script or
transaction whose keys span slots. Every script and transaction of the adapters therefore keeps its
keys under one hash tag `{...}`. A plain `redis.Redis` is used for a non-cluster Redis.

`REDIS_ERRORS` is what a Redis call may raise: the cluster client raises `RedisClusterException`
(not a `RedisError`) when no node can be reached, so adapters catch both.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.cluster import RedisCluster
from redis.exceptions import RedisClusterException
from redis.retry import Retry

REDIS_ERRORS: tuple[type[Exception], ...] = (redis.RedisError, RedisClusterException)

# Both clients retry a command after a connection error or a timeout (the cluster client also after a
# topology change, re-reading the slot map first). One retry, at once: enough for a failover or a
# dropped connection, and an outage still fails fast. A retried command may already have run on the
# server (its answer was lost): every script is written to be run twice safely (the plays gate
# remembers the call that counted, likes are set membership).
RETRIES = 1


def redis_from_url(url: str, socket_timeout: float, *, cluster: bool = False) -> Any:
    """Connect and read timeouts both `socket_timeout`: a Redis outage is noticed quickly, not hung on.
    `cluster`: a `RedisCluster` (ElastiCache Serverless, the local cloud) instead of a `redis.Redis`."""
    timeouts: dict[str, Any] = {
        "socket_timeout": socket_timeout,
        "socket_connect_timeout": socket_timeout,
        "health_check_interval": 30,
    }
    if cluster:
        return RedisCluster.from_url(url, retry=Retry(NoBackoff(), RETRIES), **timeouts)
    return redis.Redis.from_url(url, retry=Retry(NoBackoff(), RETRIES), **timeouts)
