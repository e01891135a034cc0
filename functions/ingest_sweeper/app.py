"""Ingest sweeper (an EventBridge schedule, every 5 minutes): delivers events left in the videos
table's outbox, and records the failure of videos whose ingest execution ended without a final status."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from reelstack.clock import utc_now
from reelstack.observability import logger, metrics, tracer
from reelstack.wiring import ingest_sweeper


@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    report = ingest_sweeper().sweep(utc_now())
    metrics.add_metric(name="OutboxEventsDelivered", unit=MetricUnit.Count, value=report["events_delivered"])
    metrics.add_metric(
        name="UnfinishedIngestsFailed", unit=MetricUnit.Count, value=report["failures_recorded"]
    )
    return report
