"""Merge sweeper (an EventBridge schedule, every 5 minutes): uploads stuck in MERGING are handed to the
merge function again, or failed when their chunks are gone or they merged too long."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from reelstack.adapters.functions import AsyncInvoker
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.adapters.repositories import Repositories
from reelstack.domain.media.merge_sweep import MergeSweepPolicy
from reelstack.observability import logger, metrics, tracer
from reelstack.services.media.merge_sweeper import MergeSweeper
from reelstack.settings import merge_sweeper_settings


@cache
def _sweeper() -> MergeSweeper:
    settings = merge_sweeper_settings()
    return MergeSweeper(
        MediaStorage(settings.media_bucket),
        Repositories.from_settings(settings),
        AsyncInvoker(settings.merge_function_name),
        MergeSweepPolicy(
            unstarted_after=timedelta(seconds=settings.merge_unstarted_after_seconds),
            stuck_after=timedelta(seconds=settings.merge_stuck_after_seconds),
            give_up_after=timedelta(seconds=settings.merge_give_up_after_seconds),
        ),
        limit=settings.merge_sweep_limit,
    )


@logger.inject_lambda_context(correlation_id_path="id")
@metrics.log_metrics
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: Any) -> dict[str, list[str]]:
    report = _sweeper().sweep()
    metrics.add_metric(name="StuckMergesRetried", unit=MetricUnit.Count, value=len(report.retried))
    metrics.add_metric(name="StuckMergesFailed", unit=MetricUnit.Count, value=len(report.failed))
    return report.to_dict()
