"""Notifications: likes, comments, replies and follows (EventBridge events) become aggregated
notifications for the people they concern."""

from __future__ import annotations

from typing import Any

from reelstack.observability import logger, metrics, tracer
from reelstack.wiring import notification_service


@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Event: an EventBridge event, `detail-type` VideoLiked, CommentPosted or UserFollowed."""
    told = notification_service().on_event(str(event.get("detail-type", "")), event.get("detail"))
    return {"notified": told}
