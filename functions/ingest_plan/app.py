"""Ingest stage `Plan`: the declared rendition spec applied to the probed source (backend included)."""

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
    """Event: the workflow document after Probe; returns it with `plan`."""
    stages = processing_stages()
    return run_stage(stages.repos, "Plan", WorkflowDocument.model_validate(event), stages.plan)
