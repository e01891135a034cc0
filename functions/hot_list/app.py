"""Hot-list function (EventBridge, every 10 minutes): the top videos from the play counters and the
durable daily stats, published to Redis under a new version and archived to the media bucket
(`reelstack.services.distribution.hot_list.HotListBuilder`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from reelstack.feed_wiring import build_hot_list
from reelstack.observability import logger, metrics, tracer
from reelstack.services.distribution.hot_list import HotListBuilder
from reelstack.settings import hot_list_settings


@cache
def _builder() -> HotListBuilder:
    return build_hot_list(hot_list_settings())


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = _builder().run()
    return {
        "version": report.version,
        "videos": report.videos,
        "from_counters": report.from_counters,
        "filled_with_new": report.filled_with_new,
    }
