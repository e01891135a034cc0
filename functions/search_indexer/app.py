"""Search indexer: video events (EventBridge -> SearchIndexQueue) keep the `videos` index current.

A message is an EventBridge event that names a video (`detail.video_id`): VideoPublished,
VideoRejected, VideoTierChanged... The whole batch is synced at once (`SearchIndexer.sync`: one batch
get of the records, which are the truth, and ONE `_bulk` request under external versions), before
Powertools' BatchProcessor walks the records: a record fails when its message is malformed or its
video's write failed. When the records, the counts or the engine cannot be reached, every message
fails and stays queued (redelivered after the visibility timeout, DLQ after maxReceiveCount); a
batch that failed whole raises (Powertools' default), so an outage shows in the Lambda error metrics.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from reelstack.observability import logger, metrics, tracer
from reelstack.search_wiring import search_indexer

processor = BatchProcessor(event_type=EventType.SQS)


def video_id_of(body: str) -> str:
    """The video an event names; ValueError for anything else."""
    event = json.loads(body)
    detail = event.get("detail") if isinstance(event, dict) else None
    video_id = detail.get("video_id") if isinstance(detail, dict) else None
    if not isinstance(video_id, str) or not video_id:
        raise ValueError("the message names no video (detail.video_id)")
    return video_id


_failed: dict[str, str] = {}  # the current batch's failed videos, computed before the records are walked


def record_handler(record: SQSRecord) -> None:
    video_id = video_id_of(record.body)
    if video_id in _failed:
        raise RuntimeError(f"indexing {video_id} failed: {_failed[video_id]}")


def _sync(records: list[dict[str, Any]]) -> dict[str, str]:
    ids: list[str] = []
    for record in records:
        try:
            ids.append(video_id_of(str(record.get("body") or "")))
        except ValueError:
            continue  # fails alone in record_handler
    if not ids:
        return {}
    try:
        return dict(search_indexer().sync(ids).failed)
    except Exception as error:
        logger.warning("search sync failed: the batch stays queued", extra={"error": str(error)})
        return {video_id: str(error) for video_id in ids}


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> PartialItemFailureResponse:
    _failed.clear()
    _failed.update(_sync(list(event.get("Records") or [])))
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
