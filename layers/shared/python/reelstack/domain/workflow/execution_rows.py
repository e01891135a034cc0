"""One row per workflow execution, as `reelstack executions` lists them (pure: no SDK, no clock).

A row joins an execution's summary (ListExecutions / DescribeExecution) with its folded history: status,
start and stop, the current (or last) state, total seconds, and a timeline of offsets from the start.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reelstack.domain.workflow.state_timeline import (
    CAUGHT,
    EXECUTION_ENDS_IN_FAILURE,
    FAILED,
    RUNNING,
    StateStep,
    event_details,
    state_timeline,
    summarize_cause,
)

STATUSES = ("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


@dataclass(frozen=True)
class ExecutionQuery:
    """Which executions to show: of one state machine, optionally one status, one video, at most `limit`."""

    state_machine_arn: str
    status: str | None = None
    limit: int = 20
    video: str | None = None

    def __post_init__(self) -> None:
        if self.status is not None and self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}: one of {', '.join(STATUSES)}")
        if self.limit < 1:
            raise ValueError("limit must be at least 1")


@dataclass(frozen=True)
class TimelineEntry:
    """A state's place in its execution: offsets in seconds from the execution's start."""

    name: str
    entered: float
    exited: float | None  # None while the state runs
    seconds: float  # so far, for a running state
    outcome: str
    attempts: int
    error: str | None
    cause: str | None


@dataclass(frozen=True)
class ExecutionRow:
    name: str  # the video id
    arn: str
    status: str
    started: datetime
    stopped: datetime | None
    steps: tuple[StateStep, ...]
    as_of: datetime  # when it was read: running executions and states count up to here
    error: str | None = None
    cause: str | None = None

    @property
    def origin(self) -> datetime:
        """Offset zero: the start, or the first event if the history's clock ran ahead of it."""
        return min([self.started, *(step.entered for step in self.steps[:1])])

    @property
    def current_state(self) -> str | None:
        """The state running now, else the last one entered."""
        running = [step.name for step in self.steps if step.outcome == RUNNING]
        if running:
            return running[-1]
        return self.steps[-1].name if self.steps else None

    @property
    def failed_state(self) -> StateStep | None:
        """The first state that failed (caught or not): where the execution went wrong."""
        return next((step for step in self.steps if step.outcome in (FAILED, CAUGHT)), None)

    @property
    def total_seconds(self) -> float:
        return ((self.stopped or self.as_of) - self.started).total_seconds()

    def timeline(self) -> list[TimelineEntry]:
        origin = self.origin
        return [
            TimelineEntry(
                name=step.name,
                entered=(step.entered - origin).total_seconds(),
                exited=None if step.exited is None else (step.exited - origin).total_seconds(),
                seconds=((step.exited or self.as_of) - step.entered).total_seconds(),
                outcome=step.outcome,
                attempts=step.attempts,
                error=step.error,
                cause=step.cause,
            )
            for step in self.steps
        ]


def execution_row(summary: Mapping[str, Any], events: list[dict[str, Any]], as_of: datetime) -> ExecutionRow:
    """Join a ListExecutions/DescribeExecution item with the execution's history events."""
    error, cause = summary.get("error"), summary.get("cause")
    if error is None:
        ends = [event for event in events if event.get("type") in EXECUTION_ENDS_IN_FAILURE]
        if ends:
            details = event_details(ends[-1])
            error, cause = details.get("error") or ends[-1]["type"], details.get("cause")
    return ExecutionRow(
        name=str(summary["name"]),
        arn=str(summary["executionArn"]),
        status=str(summary["status"]),
        started=summary["startDate"],
        stopped=summary.get("stopDate"),
        steps=tuple(state_timeline(events)),
        as_of=as_of,
        error=None if error is None else str(error),
        cause=summarize_cause(cause),
    )


def newest_first(rows: Iterable[ExecutionRow]) -> list[ExecutionRow]:
    return sorted(rows, key=lambda row: row.started, reverse=True)


def execution_arn(state_machine_arn: str, name: str) -> str:
    """The ARN of the execution named `name` (the video id) of a standard state machine."""
    head, marker, machine = state_machine_arn.partition(":stateMachine:")
    if not marker or not machine:
        raise ValueError(f"not a state machine ARN: {state_machine_arn!r}")
    return f"{head}:execution:{machine.split(':')[0]}:{name}"


def state_machine_name(state_machine_arn: str) -> str:
    return state_machine_arn.partition(":stateMachine:")[2].split(":")[0] or state_machine_arn


def region_of(arn: str) -> str | None:
    """The region field of an ARN (`arn:partition:service:region:account:...`)."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[0] == "arn" and parts[3] else None


def select(summaries: Iterable[Mapping[str, Any]], query: ExecutionQuery) -> list[Mapping[str, Any]]:
    """The summaries the query asks for, newest first, at most `limit`."""
    chosen = [
        summary
        for summary in summaries
        if (query.status is None or summary["status"] == query.status)
        and (query.video is None or summary["name"] == query.video)
    ]
    chosen.sort(key=lambda summary: summary["startDate"], reverse=True)
    return chosen[: query.limit]
