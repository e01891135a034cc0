"""Reading Step Functions executions through an injected client (the API's operator page and
`reelstack executions`); SDK errors become `ExecutionsError` (a 503 to API callers). Everything it
returns is plain data for `domain.workflow.execution_rows`.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters import aws
from reelstack.domain.workflow.execution_rows import (
    ExecutionQuery,
    ExecutionRow,
    execution_arn,
    execution_row,
    select,
)
from reelstack.domain.workflow.state_timeline import StateStep, state_timeline
from reelstack.errors import DependencyFailed

PAGE = 1000  # the largest page ListExecutions and GetExecutionHistory serve


class ExecutionsError(DependencyFailed):
    """The executions could not be read (no such state machine or stack, no access, no endpoint)."""

    code = "executions_unavailable"


def explain(error: Exception) -> ExecutionsError:
    if isinstance(error, ClientError):
        body = error.response.get("Error", {})
        return ExecutionsError(f"{body.get('Code', 'Error')}: {body.get('Message', error)}")
    return ExecutionsError(str(error))


class StepFunctionsExecutions:
    """ListExecutions, DescribeExecution and GetExecutionHistory, paginated, over one client."""

    def __init__(self, client: Any | None = None) -> None:
        self.client = client if client is not None else aws.client("stepfunctions")

    def summaries(
        self, state_machine_arn: str, status: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Up to `limit` executions, as the service orders them (newest first)."""
        kwargs: dict[str, Any] = {"stateMachineArn": state_machine_arn, "maxResults": min(limit, PAGE)}
        if status:
            kwargs["statusFilter"] = status
        found: list[dict[str, Any]] = []
        try:
            while len(found) < limit:
                page = self.client.list_executions(**kwargs)
                found.extend(page.get("executions", []))
                if not page.get("nextToken"):
                    break
                kwargs["nextToken"] = page["nextToken"]
        except (ClientError, BotoCoreError) as error:
            raise explain(error) from error
        return found[:limit]

    def summary(self, arn: str) -> dict[str, Any] | None:
        """One execution's description, or None when there is no such execution."""
        try:
            return dict(self.client.describe_execution(executionArn=arn))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return None
            raise explain(error) from error
        except BotoCoreError as error:
            raise explain(error) from error

    def history(self, arn: str) -> list[dict[str, Any]]:
        """Every event of one execution, all pages."""
        events: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"executionArn": arn, "maxResults": PAGE}
        try:
            while True:
                page = self.client.get_execution_history(**kwargs)
                events.extend(page["events"])
                if not page.get("nextToken"):
                    return events
                kwargs["nextToken"] = page["nextToken"]
        except (ClientError, BotoCoreError) as error:
            raise explain(error) from error

    def rows(self, query: ExecutionQuery, as_of: datetime, workers: int = 1) -> list[ExecutionRow]:
        """The executions the query asks for, each joined with its history, newest first; `workers`
        histories are read at once (the API's page waits for the slowest one, not their sum)."""
        if query.video is not None:
            found = self.summary(execution_arn(query.state_machine_arn, query.video))
            summaries = [] if found is None else [found]
        else:
            summaries = self.summaries(query.state_machine_arn, query.status, query.limit)
        chosen = select(summaries, query)
        arns = [str(summary["executionArn"]) for summary in chosen]
        if workers > 1 and len(arns) > 1:
            with ThreadPoolExecutor(max_workers=min(workers, len(arns))) as pool:
                histories = list(pool.map(self.history, arns))
        else:
            histories = [self.history(arn) for arn in arns]
        return [
            execution_row(summary, events, as_of) for summary, events in zip(chosen, histories, strict=True)
        ]


def execution_timeline(sfn: Any, execution_arn: str) -> list[StateStep]:
    """The timeline of one execution, read through a Step Functions client."""
    return state_timeline(StepFunctionsExecutions(sfn).history(execution_arn))
