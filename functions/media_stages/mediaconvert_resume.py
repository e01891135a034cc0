"""MediaConvert resume (media container image: ffmpeg tiles the sprite): a job of ours finished.

Invoked asynchronously by an EventBridge rule with a "MediaConvert Job State Change" event (COMPLETE,
ERROR or CANCELED). Finishes the outputs and resumes the ingest execution waiting on the job; an error
raised here is retried by Lambda, then the event goes to the function's failure queue.
"""

from __future__ import annotations

from typing import Any

from reelstack.observability import logger, metrics, tracer
from reelstack.wiring import mediaconvert_completion


@logger.inject_lambda_context(correlation_id_path="detail.userMetadata.video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: a "MediaConvert Job State Change" event; returns what was done with it."""
    return mediaconvert_completion().resume(event)
