"""Ingest `RecordFailure`: a Catch ended here; the video becomes FAILED with {stage, code, message}."""

from __future__ import annotations

from functools import cache
from typing import Any

from reelstack.adapters.repositories import Repositories
from reelstack.adapters.storage import MediaStorage
from reelstack.adapters.tables import bind_tables
from reelstack.domain.workflow import StageError, WorkflowDocument
from reelstack.observability import logger, metrics, tracer
from reelstack.services.ingest import IngestStages
from reelstack.settings import ingest_settings


@cache
def _stages() -> IngestStages:
    settings = ingest_settings()
    tables = bind_tables(settings.uploads_table, settings.videos_table, settings.aws_region)
    return IngestStages(MediaStorage(settings.media_bucket), Repositories(tables))


@logger.inject_lambda_context(correlation_id_path="document.video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: `{"document": <workflow document>, "stage": "<state name>", "error": {"Error", "Cause"}}`."""
    document = WorkflowDocument.model_validate(event["document"])
    error = StageError.model_validate(event.get("error") or {})
    return _stages().record_failure(document, str(event.get("stage") or "unknown"), error)
