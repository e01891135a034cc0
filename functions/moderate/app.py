"""Ingest stage `Moderate` (moderation container image): sampled frames through NudeNet, then the policy."""

from __future__ import annotations

from typing import Any

from reelstack.domain.media.workflow import WorkflowDocument
from reelstack.observability import logger, metrics, tracer
from reelstack.services.media.timeline import run_stage
from reelstack.wiring import moderation_stage, processing_stages


@logger.inject_lambda_context(correlation_id_path="video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: the workflow document after Transcode; returns it with `moderation` (the verdict)."""
    document = WorkflowDocument.model_validate(event)
    stage = moderation_stage()

    def moderate(doc: WorkflowDocument) -> WorkflowDocument:
        outputs, media = doc.outputs or {}, doc.media or {}
        if outputs.get("stills_prefix") and media.get("duration_s"):
            # The ffmpeg transcode's decode left candidate stills: score those, decode nothing.
            verdict = stage.moderate_stills(
                doc.video_id, float(media["duration_s"]), outputs["stills_prefix"]
            )
        else:  # MediaConvert / GPU outputs: sample the original
            verdict = stage.moderate(doc.video_id, doc.key)
        return doc.model_copy(update={"moderation": verdict})

    return run_stage(processing_stages().repos, "Moderate", document, moderate)
