"""The high-heat workflow's stages on the ffmpeg image: Plan (which backend), Encode (HEVC twins on the
Lambda), UpdateMaster, RecordFailure. The GPU container encodes the twins when Plan says `gpu`."""

from __future__ import annotations

from typing import Any

from reelstack.domain.media.heat import HeatDocument
from reelstack.domain.media.workflow import StageError
from reelstack.observability import logger, metrics, tracer
from reelstack.services.media.timeline import stage_run
from reelstack.wiring import heat_stages


@logger.inject_lambda_context(correlation_id_path="video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def plan_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: the heat document; returns it with `plan` (`backend`: lambda | gpu, reason, estimates)."""
    document = HeatDocument.model_validate(event)
    stages = heat_stages()
    with stage_run(stages.repos, document.video_id, "HeatPlan"):
        planned = stages.plan(document)
    return planned.model_dump(exclude_none=True)


@logger.inject_lambda_context(correlation_id_path="video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def encode_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: the heat document `{video_id, codec[, renditions | min_height]}`; returns it with `outputs`."""
    document = HeatDocument.model_validate(event)
    stages = heat_stages()
    with stage_run(stages.repos, document.video_id, "HeatEncode"):
        encoded = stages.encode(document)
    return encoded.model_dump(exclude_none=True)


@logger.inject_lambda_context(correlation_id_path="video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def update_master_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: the heat document after Encode; returns `{video_id, codec, master_key, renditions}`."""
    document = HeatDocument.model_validate(event)
    stages = heat_stages()
    with stage_run(stages.repos, document.video_id, "HeatUpdateMaster"):
        return stages.update_master(document)


@logger.inject_lambda_context(correlation_id_path="document.video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def fail_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: `{"document": <heat document>, "stage": "<state name>", "error": {"Error", "Cause"}}`."""
    document = HeatDocument.model_validate(event["document"])
    error = StageError.model_validate(event.get("error") or {})
    return heat_stages().record_failure(document, str(event.get("stage") or "unknown"), error)
