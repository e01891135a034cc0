"""Every function that reaches the like cache is told that it is a cluster (ElastiCache Serverless
always is), so its adapters use redis-py's cluster client."""

from __future__ import annotations

from typing import Any

import pytest
from template_support import resources_of_type

from reelstack.settings import LikeSettings


def test_every_function_with_a_redis_url_uses_the_cluster_client(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the template's functions that are given a REDIS_URL
    environments = {
        name: resource["Properties"].get("Environment", {}).get("Variables", {})
        for name, resource in resources_of_type(template, "AWS::Serverless::Function").items()
    }
    with_redis = {name: env for name, env in environments.items() if "REDIS_URL" in env}
    assert with_redis
    # WHEN their REDIS_CLUSTER is read THEN every one says "true"
    assert {name: env.get("REDIS_CLUSTER") for name, env in with_redis.items()} == dict.fromkeys(
        with_redis, "true"
    )
    # AND the settings read that environment as a cluster
    for name, value in {**with_redis[next(iter(with_redis))], "REDIS_URL": "rediss://cache:6379"}.items():
        monkeypatch.setenv(name, value if isinstance(value, str) else "x")
    assert LikeSettings().redis_cluster is True  # type: ignore[call-arg]
