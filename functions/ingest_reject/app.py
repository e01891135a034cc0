"""Ingest stage `Reject`: the model or a reviewer rejected the video; it becomes REJECTED."""

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
    """Event: the workflow document with `moderation` (and `review` when a reviewer decided)."""
    stages = processing_stages()
    return run_stage(stages.repos, "Reject", WorkflowDocument.model_validate(event), stages.reject)
