"""Ingest stage `Probe` (media container image): ffprobe + decode check of the original."""

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
    """Event: the workflow document after Admit; returns it with `media`, or fails with a coded refusal."""
    stages = processing_stages()
    return run_stage(stages.repos, "Probe", WorkflowDocument.model_validate(event), stages.probe)
