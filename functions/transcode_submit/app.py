"""Transcode submit: starts a MediaConvert or GPU (AWS Batch) job for a waiting workflow Task.

Invoked by ingest's `TranscodeWithMediaConvert` / `TranscodeWithGpu` with `{backend, document,
task_token}`, and by the high-heat workflow's `EncodeWithGpu` with `{kind: "heat", backend: "gpu",
document, task_token}` (`lambda:invoke.waitForTaskToken`). The Task waits for the job to report back with
the token; what this function returns is only logged by Step Functions. A failure here ends the wait
through the Task's Catch. A GPU job is submitted at most once per waiting Task (`adapters.media.batch_jobs`).
"""

from __future__ import annotations

from typing import Any

from reelstack.observability import logger, metrics, tracer
from reelstack.services.media.transcode_backends import parse_submit_request
from reelstack.wiring import transcode_backends


@logger.inject_lambda_context(correlation_id_path="document.video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: `{["kind": "heat",] "backend": "mediaconvert" | "gpu", "document": <workflow document>,
    "task_token": "..."}`."""
    return transcode_backends().submit_request(parse_submit_request(event))
