"""Ingest stage `Admit`: the original is really there; the video becomes PROCESSING."""

from __future__ import annotations

from typing import Any

from reelstack.domain.media.workflow import WorkflowDocument
from reelstack.observability import logger, metrics, tracer
from reelstack.services.media.timeline import run_stage
from reelstack.wiring import ingest_stages


@logger.inject_lambda_context(correlation_id_path="document.video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: `{"document": <workflow document>, "execution_id": <this execution's ARN>}`."""
    document = WorkflowDocument.model_validate(
        event["document"] | {"execution_id": event.get("execution_id")}
    )
    stages = ingest_stages()
    return run_stage(stages.repos, "Admit", document, stages.admit)
