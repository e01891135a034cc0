"""Plays worker: counted plays queued by the API (SQS) become daily stats per video in DynamoDB.

The whole batch is folded into one delta per (video, day) and each delta is one transaction, so a
batch of plays is a handful of writes, not one per play (`reelstack.services.engagement.plays.PlayAggregator`).
Powertools' BatchProcessor handles one record at a time, which would be one write per play; the
handler therefore reports the partial batch failures itself, in the same `batchItemFailures` shape:
malformed messages (they reach PlaysDLQ after the queue's maxReceiveCount) and the messages of
deltas whose write failed.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

from reelstack.observability import logger, metrics, tracer
from reelstack.wiring import play_aggregator


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    records = event.get("Records") or []
    failed = play_aggregator().handle_batch(records)
    if failed:
        logger.warning("plays to redeliver", extra={"failed": len(failed), "records": len(records)})
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
