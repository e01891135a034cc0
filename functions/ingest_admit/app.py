"""Ingest stage `Admit`: the original is really there; the video becomes PROCESSING."""

from __future__ import annotations

from functools import cache
from typing import Any

from reelstack.adapters.repositories import Repositories
from reelstack.adapters.storage import MediaStorage
from reelstack.adapters.tables import bind_tables
from reelstack.domain.workflow import WorkflowDocument
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
    """Event: `{"document": <workflow document>, "execution_id": <this execution's ARN>}`."""
    document = WorkflowDocument.model_validate(
        event["document"] | {"execution_id": event.get("execution_id")}
    )
    return _stages().admit(document).model_dump(exclude_none=True)
