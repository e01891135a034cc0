"""Shared test set-up: import paths, and the local cloud of the repo's template.yaml, started once per
test session (`local_cloud`) for the integration and e2e tests that ask for it.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
for _path in (ROOT / "infra", ROOT / "layers" / "shared" / "python", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

VISIBILITY_TIMEOUT_CAP_SECONDS = 2
FEED_OVERLOAD_RPS = 8


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """`reelstack up` on template.yaml (free ports, a temporary state dir, queue visibility timeouts
    capped at 2 s, the demo's moderation policy, the feed's overload level at 8 pages a second, feature flags read on every request), as a `CloudHandle`: `.api_url`, `.aws_endpoint`, `.client(service)`,
    `.token(user, roles=())`, `.invoke(...)`, `.kill_worker(fn)`, `.fire_schedule(name)`, `.resources`."""
    from reelstack_tools.demo_media import faces_held_policy
    from reelstack_tools.localcloud.testing import running_local_cloud

    template = ROOT / "template.yaml"
    if not template.is_file():
        pytest.fail(f"{template} is missing: the local cloud runs the repo's SAM template")
    with running_local_cloud(
        template,
        tmp_path_factory.mktemp("local-cloud"),
        visibility_timeout_cap=VISIBILITY_TIMEOUT_CAP_SECONDS,
        # As the demo: faces are held for review, so a public-domain portrait exercises the review path.
        # The feed's overload level at 8 pages a second: a test's flood reaches it on 2 cores.
        extra_args=[
            "--parameter",
            f"ModerationPolicy={faces_held_policy()}",
            "--parameter",
            f"FeedOverloadRequestsPerSecond={FEED_OVERLOAD_RPS}",
            # Feature flags read on every request: a test's rollout or rollback applies at once.
            "--parameter",
            "FeatureFlagsMaxAgeSeconds=0",
        ],
    ) as cloud:
        yield cloud


@pytest.fixture(scope="session")
def spark() -> Iterator[object]:
    """One local SparkSession for the whole test session (the JVM takes seconds to start): two cores,
    few shuffle partitions, UTC, no UI; the profile job's `run(spark, args)` uses it as its own."""
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("reelstack-tests")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.memory", "1g")
        .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
        .getOrCreate()
    )
    try:
        yield session
    finally:
        session.stop()
