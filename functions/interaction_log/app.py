"""Interaction log writer: events the workers forwarded (InteractionLogQueue, large batches) become
Parquet files of the media lake, one per (batch, day), with the videos' facts added
(`reelstack.services.engagement.interaction_log.InteractionLogWriter`). Malformed events go straight to the
log's DLQ with their reason; a day whose file could not be written is redelivered. The handler
reports the failures itself (`batchItemFailures`): the batch is written whole, not per record.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse

from reelstack.log_wiring import interaction_log_writer
from reelstack.observability import logger, metrics, tracer


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    records = event.get("Records") or []
    failed = interaction_log_writer().handle_batch(records)
    metrics.add_metric(name="InteractionsLogged", unit=MetricUnit.Count, value=len(records) - len(failed))
    if failed:
        logger.warning("interactions to redeliver", extra={"failed": len(failed), "records": len(records)})
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
