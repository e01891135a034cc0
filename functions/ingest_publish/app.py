"""Ingest stage `Publish`: the video becomes PUBLISHED and `VideoPublished` goes to EventBridge."""

from __future__ import annotations

from typing import Any

from reelstack.domain.media.workflow import WorkflowDocument
from reelstack.observability import logger, metrics, tracer
from reelstack.services.media.timeline import run_stage
from reelstack.wiring import processing_stages


@logger.inject_lambda_context(correlation_id_path="video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: the workflow document with `outputs` and `moderation` (and `review` when held)."""
    stages = processing_stages()
    return run_stage(stages.repos, "Publish", WorkflowDocument.model_validate(event), stages.publish)
