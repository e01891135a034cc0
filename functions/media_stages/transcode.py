"""Ingest stage `Transcode` on the ffmpeg Lambda (media container image): the plan's whole ladder, one decode."""

from __future__ import annotations

from typing import Any

from reelstack.domain.media.renditions import Plan
from reelstack.domain.media.workflow import WorkflowDocument
from reelstack.errors import InvalidRequest
from reelstack.observability import logger, metrics, tracer
from reelstack.services.media.timeline import run_stage
from reelstack.wiring import processing_stages, transcode_stage


@logger.inject_lambda_context(correlation_id_path="video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: the workflow document after Plan; returns it with `outputs` (master, poster, renditions)."""
    document = WorkflowDocument.model_validate(event)

    def transcode(doc: WorkflowDocument) -> WorkflowDocument:
        if doc.plan is None:
            raise InvalidRequest("the workflow document has no plan", code="invalid_workflow_document")
        outputs = transcode_stage().transcode(doc.video_id, doc.key, Plan.from_dict(doc.plan))
        return doc.model_copy(update={"outputs": outputs})

    return run_stage(processing_stages().repos, "Transcode", document, transcode)
