"""Avatar function: each uploaded avatar (an S3 notification through AvatarQueue) is checked with
ffprobe, resized to a 256 x 256 JPEG with ffmpeg and made the profile's avatar, or refused with its
reason. Each record alone (partial batch failures); a redelivered notification finds the upload gone."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from reelstack.observability import logger, metrics, tracer
from reelstack.services.engagement.avatars import uploaded_keys
from reelstack.social_wiring import avatar_stage

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> list[str]:
    return [avatar_stage().handle(key) for key in uploaded_keys(json.loads(record.body))]


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
