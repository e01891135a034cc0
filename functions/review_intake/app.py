"""Review intake: the held workflow's review requests (SQS) become IN_REVIEW videos in the reviewers' queue.

Each message is `{video_id, moderation, task_token}` from the `AwaitReview` state. Records are handled
alone (Powertools BatchProcessor, partial batch failures); redelivery is harmless (same ref, same token).
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from reelstack.errors import InvalidRequest
from reelstack.observability import logger, metrics, tracer
from reelstack.wiring import review_service

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    body = json.loads(record.body)
    if not isinstance(body, dict):
        raise InvalidRequest("a review request must be a JSON object", code="invalid_review_request")
    review_service().hold(body)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
