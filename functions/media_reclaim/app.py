"""Media reclaim sweeper (an EventBridge schedule, hourly): superseded `media-<sha16>.mp4` files of
rewritten renditions are deleted once their reclaim is due (`reelstack.services.media.media_reclaim`)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from reelstack.adapters.media_bucket import MediaStorage
from reelstack.observability import logger, metrics, tracer
from reelstack.services.media.media_reclaim import MediaReclaimer
from reelstack.settings import StorageSettings


@cache
def _reclaimer() -> MediaReclaimer:
    return MediaReclaimer(MediaStorage(StorageSettings().media_bucket))  # type: ignore[call-arg]


@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, list[str]]:
    deleted = _reclaimer().sweep()
    metrics.add_metric(name="SupersededMediaReclaimed", unit=MetricUnit.Count, value=len(deleted))
    return {"deleted": deleted}
