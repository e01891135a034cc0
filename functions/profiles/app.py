"""The nightly profile run's Lambda steps, run by the profiles state machine around the Spark job.

`prepare`: `{run_id, input: {as_of?}}` -> the run's plan (window, URIs, the job's arguments, its version).
`parts`: `{plan}` -> `{parts: [{table, key}]}`, the job's part files (refused without its success marker).
`load`: `{plan, part}` -> `{table, key, rows}`: one part file into DynamoDB, Redis and OpenSearch.
`switch`: `{plan, loaded: [...]}` -> the switch's result; refused (an error) when the run is incomplete.
`training`: `{plan}` -> the ranker's nightly training job (job name, examples, code, output), or
`train: false` while no ranker code is published (`reelstack rank train --platform` publishes it).
`fail`: `{plan?, error}` -> the failure logged and counted (`ProfileRunFailed`); the state machine then fails.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from reelstack.domain.distribution.profile_runs import Part, RunPlan
from reelstack.observability import logger, metrics, tracer
from reelstack.profile_wiring import profile_runs


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def prepare(event: dict[str, Any], context: Any) -> dict[str, Any]:
    given = event.get("input")
    if not isinstance(given, dict):
        given = {}
    return profile_runs().prepare(str(event.get("run_id") or ""), given.get("as_of")).to_dict()


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def parts(event: dict[str, Any], context: Any) -> dict[str, Any]:
    found = profile_runs().parts(RunPlan.from_dict(event.get("plan")))
    return {"parts": [part.to_dict() for part in found]}


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def load(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return profile_runs().load(RunPlan.from_dict(event.get("plan")), Part.from_dict(event.get("part")))


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def switch(event: dict[str, Any], context: Any) -> dict[str, Any]:
    result = profile_runs().switch(RunPlan.from_dict(event.get("plan")), list(event.get("loaded") or []))
    if result.get("switched"):
        metrics.add_metric(name="ProfileVersionSwitched", unit=MetricUnit.Count, value=1)
    return result


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def training(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return profile_runs().training(RunPlan.from_dict(event.get("plan")))


@logger.inject_lambda_context
@metrics.log_metrics
@tracer.capture_lambda_handler
def fail(event: dict[str, Any], context: Any) -> dict[str, Any]:
    error = event.get("error") or {}
    plan = event.get("plan") or {}
    logger.error(
        "profile run failed; the previous version keeps serving",
        extra={"run_id": plan.get("run_id"), "error": error.get("Error"), "cause": error.get("Cause")},
    )
    metrics.add_metric(name="ProfileRunFailed", unit=MetricUnit.Count, value=1)
    return {
        "run_id": plan.get("run_id"),
        "failed": True,
        "error": error.get("Error"),
        "cause": error.get("Cause"),
    }
