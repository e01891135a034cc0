"""Merge function (invoked asynchronously by the API): coalesce staged chunks, verify declared hashes."""

from __future__ import annotations

from functools import cache
from typing import Any

from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.repositories import Repositories
from reelstack.errors import InvalidRequest
from reelstack.observability import logger, metrics, tracer
from reelstack.services.media.merge import MergeService
from reelstack.settings import merge_settings


@cache
def _service() -> MergeService:
    settings = merge_settings()
    return MergeService(
        MediaStorage(settings.media_bucket),
        Repositories.from_settings(settings),
        settings.merge_part_size,
        settings.merge_parallelism,
    )


@logger.inject_lambda_context(correlation_id_path="upload_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, str]:
    upload_id = event.get("upload_id") if isinstance(event, dict) else None
    if not isinstance(upload_id, str) or not upload_id:
        raise InvalidRequest("the merge event needs an 'upload_id'", code="invalid_event")
    return {"upload_id": upload_id, "status": _service().merge(upload_id)}
