"""Comment moderation: each queued comment is read by the text moderation step (a word list and a
small classifier) and shown, or held for the reviewers.

Each record is handled alone (Powertools BatchProcessor, partial batch failures): every step is
conditional on the comment's status, so a redelivery changes nothing twice. A malformed message fails
only itself and reaches CommentsDLQ after its retries.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from reelstack.observability import logger, metrics, tracer
from reelstack.social_wiring import comment_moderation

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> str:
    redelivered = int(record.raw_event.get("attributes", {}).get("ApproximateReceiveCount") or 1) > 1
    return comment_moderation().handle(record.body, redelivered=redelivered)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
