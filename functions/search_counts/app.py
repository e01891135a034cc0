"""Search count refresh (an EventBridge schedule): the videos whose like or play counts moved since
their document was written are re-indexed in bulk (`CountRefresher`: the oldest marks first, one
`_bulk` request per page; a mark is cleared only once its document is written)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from reelstack.observability import logger, metrics, tracer
from reelstack.search_wiring import count_refresher


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    report = asdict(count_refresher().refresh())
    logger.info("search counts refreshed", extra=report)
    return report
