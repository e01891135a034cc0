"""The nightly tiering's two Lambda steps, run by the tiering state machine.

`page`: `{run_id, bucket, cursor?, page?, dry_run?}` -> the same with the next cursor and the page's
counts (None cursor: the partition is done); a REENCODE decision (not in a dry run) starts the
high-heat workflow. `summarize`: `{run_id, dry_run?}` -> the run's summary, also written to
`reports/tiering/<run_id>/summary.json`.
"""

from __future__ import annotations

from typing import Any

from reelstack.observability import logger, metrics, tracer
from reelstack.wiring import tiering_run, tiering_summary


def _dry_run(event: dict[str, Any]) -> bool:
    return bool(event.get("dry_run", False))


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def page(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return tiering_run().page(
        str(event["run_id"]),
        str(event["bucket"]),
        event.get("cursor"),
        int(event.get("page") or 0),
        _dry_run(event),
    )


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def summarize(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return tiering_summary().summarize(str(event["run_id"]), _dry_run(event))
