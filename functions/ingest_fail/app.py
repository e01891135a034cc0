"""Ingest `RecordFailure`: a Catch ended here; the video becomes FAILED with {stage, code, message}."""

from __future__ import annotations

from typing import Any

from reelstack.domain.media.workflow import StageError, WorkflowDocument
from reelstack.observability import logger, metrics, tracer
from reelstack.wiring import ingest_stages


@logger.inject_lambda_context(correlation_id_path="document.video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: `{"document": <workflow document>, "stage": "<state name>", "error": {"Error", "Cause"}}`."""
    document = WorkflowDocument.model_validate(event["document"])
    error = StageError.model_validate(event.get("error") or {})
    return ingest_stages().record_failure(document, str(event.get("stage") or "unknown"), error)
