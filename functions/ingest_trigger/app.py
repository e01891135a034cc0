"""Ingest trigger: S3 ObjectCreated notifications (through SQS) start one ingest execution per original.

Each SQS record is handled alone (Powertools BatchProcessor, partial batch failures): a poison
message fails only itself and reaches the DLQ after its retries, the rest of the batch goes on.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from reelstack.adapters.media.workflow import StepFunctionsWorkflow
from reelstack.observability import logger, metrics, tracer
from reelstack.services.media.ingest import IngestStarter, documents_from_s3_notification
from reelstack.settings import ingest_trigger_settings

processor = BatchProcessor(event_type=EventType.SQS)


@cache
def _starter() -> IngestStarter:
    return IngestStarter(StepFunctionsWorkflow(ingest_trigger_settings().ingest_state_machine_arn))


def record_handler(record: SQSRecord) -> None:
    body = json.loads(record.body)
    if not isinstance(body, dict):
        raise ValueError("an S3 notification must be a JSON object")
    for document in documents_from_s3_notification(body):
        _starter().start(document)


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
