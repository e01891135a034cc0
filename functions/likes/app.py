"""Likes worker: like changes queued by the API (SQS) become durable in DynamoDB, exactly once.

Each record is handled alone (Powertools BatchProcessor, partial batch failures): the store applies a
change idempotently and in any order, so redeliveries and reordering are harmless; a like that moved
the truth is announced as `VideoLiked` (source `reelstack.likes`) for the author's notifications,
and its video is marked for the search count refresh (one mark per video per batch).
A malformed message fails only itself and reaches LikesDLQ after its retries.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from reelstack.observability import logger, metrics, tracer
from reelstack.services.distribution.search_indexing import mark_dirty
from reelstack.wiring import like_consumer, like_dirty_counts

processor = BatchProcessor(event_type=EventType.SQS)
_moved: set[str] = set()  # videos whose durable like count this batch moved


def record_handler(record: SQSRecord) -> None:
    redelivered = int(record.raw_event.get("attributes", {}).get("ApproximateReceiveCount") or 1) > 1
    handled = like_consumer().consume(record.body, redelivered=redelivered)
    if handled.applied:
        _moved.add(handled.change.video_id)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    _moved.clear()
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    # One mark per video per batch: the search count refresh re-indexes it (best effort).
    mark_dirty(like_dirty_counts(), _moved)
    return response
