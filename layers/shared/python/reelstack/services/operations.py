"""The operator page's reads (operators only): the workflows' recent executions with each state's timing,
and the feed's degradation switches with their signals.

Executions come from Step Functions itself (ListExecutions, then one GetExecutionHistory per row, read
`HISTORY_WORKERS` at a time), so the page shows what the service recorded, retries and catches included
(`domain.workflow.state_timeline`). A page is at most `MAX_EXECUTIONS` rows: each one is a history read,
and API Gateway gives up after 29 s.

The feed's switches are those of the API instance answering: the signals they follow are fleet-wide
(OpenSearch's shards, the real-time path's lag in Redis, the fleet's requests per second), so every
instance measures the same ones; only `ranker_down` is what this instance saw of the ranker.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol

from reelstack.clock import utc_now
from reelstack.domain.distribution.degradation import HealthSnapshot
from reelstack.domain.identity import Principal
from reelstack.domain.request_input import parse_limit
from reelstack.domain.workflow.execution_rows import STATUSES, ExecutionQuery, ExecutionRow
from reelstack.errors import Forbidden, InvalidRequest

MAX_EXECUTIONS = 25
DEFAULT_EXECUTIONS = 10
HISTORY_WORKERS = 8
DEFAULT_WORKFLOW = "ingest"
EXECUTION_NAME_PATTERN = r"^[A-Za-z0-9_-]{1,80}$"  # what our executions are named (video ids...)
_EXECUTION_NAME = re.compile(EXECUTION_NAME_PATTERN)


class ExecutionReader(Protocol):
    def rows(self, query: ExecutionQuery, as_of: datetime, workers: int = 1) -> list[ExecutionRow]: ...


class OperationsService:
    def __init__(
        self,
        executions: ExecutionReader,
        workflows: Mapping[str, str],
        health: Callable[[], HealthSnapshot],
        *,
        operator_group: str = "operator",
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.reader = executions
        self.workflows = dict(workflows)  # name -> state machine ARN
        self.health = health
        self.operator_group = operator_group
        self.clock = clock

    def _require_operator(self, principal: Principal) -> None:
        if not principal.has_role(self.operator_group):
            raise Forbidden("only operators may read the platform's operations", code="operator_only")

    def executions(
        self,
        principal: Principal,
        workflow: str | None,
        status: str | None,
        limit: str | None,
        video: str | None,
    ) -> dict[str, Any]:
        """`{workflow, workflows, as_of, items}`: the newest executions first, each with its states."""
        self._require_operator(principal)
        name = workflow or DEFAULT_WORKFLOW
        query = self._query(name, status, limit, video)
        as_of = self.clock()
        rows = self.reader.rows(query, as_of, workers=HISTORY_WORKERS)
        return {
            "workflow": name,
            "workflows": sorted(self.workflows),
            "as_of": as_of.isoformat(),
            "items": [execution_document(row) for row in rows],
        }

    def _query(self, name: str, status: str | None, limit: str | None, video: str | None) -> ExecutionQuery:
        arn = self.workflows.get(name)
        if arn is None:
            known = ", ".join(sorted(self.workflows)) or "none configured"
            raise InvalidRequest(f"workflow must be one of: {known}", code="unknown_workflow")
        if status is not None and status not in STATUSES:
            raise InvalidRequest(f"status must be one of: {', '.join(STATUSES)}", code="invalid_status")
        if video is not None and not _EXECUTION_NAME.fullmatch(video):  # `$` alone lets a final newline in
            raise InvalidRequest(
                "video must be an execution name (letters, digits, - and _)", code="invalid_video"
            )
        size = parse_limit(limit, default=DEFAULT_EXECUTIONS, maximum=MAX_EXECUTIONS)
        return ExecutionQuery(arn, status=status, limit=size, video=video)

    def feed_health(self, principal: Principal) -> dict[str, Any]:
        """`{mode, active, switches, as_of}`: the feed's degradation as this instance measures it now."""
        self._require_operator(principal)
        return {**self.health().to_dict(), "as_of": self.clock().isoformat()}


def execution_document(row: ExecutionRow) -> dict[str, Any]:
    """One execution as the API answers it: offsets and durations in seconds from its start."""
    failed = row.failed_state
    return {
        "name": row.name,
        "status": row.status,
        "started": row.started.isoformat(),
        "stopped": None if row.stopped is None else row.stopped.isoformat(),
        "seconds": round(row.total_seconds, 3),
        "current_state": row.current_state,
        "failed_state": None if failed is None else failed.name,
        "error": row.error,
        "cause": row.cause,
        "states": [
            {
                "name": entry.name,
                "entered_s": round(entry.entered, 3),
                "exited_s": None if entry.exited is None else round(entry.exited, 3),
                "seconds": round(entry.seconds, 3),
                "outcome": entry.outcome,
                "attempts": entry.attempts,
                "error": entry.error,
                "cause": entry.cause,
            }
            for entry in row.timeline()
        ],
    }
