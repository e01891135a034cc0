"""Notifications: `VideoLiked` events (EventBridge) become aggregated author notifications."""

from __future__ import annotations

from typing import Any

from reelstack.observability import logger, metrics, tracer
from reelstack.wiring import notification_service


@logger.inject_lambda_context(correlation_id_path="detail.video_id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: an EventBridge event whose detail is `{video_id, author, liker, liker_name, liked_at}`."""
    notified = notification_service().on_video_liked(event.get("detail"))
    return {"notified": notified}
