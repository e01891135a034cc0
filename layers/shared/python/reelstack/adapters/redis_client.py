"""A Redis client from a URL, with the timeouts every Redis adapter uses (one place to tune them)."""

from __future__ import annotations

from typing import Any

import redis


def redis_from_url(url: str, socket_timeout: float) -> Any:
    """Connect and read timeouts both `socket_timeout`: a Redis outage is noticed quickly, not hung on."""
    return redis.Redis.from_url(
        url, socket_timeout=socket_timeout, socket_connect_timeout=socket_timeout, health_check_interval=30
    )
