"""Execution rows: summaries joined with their histories, offsets, current state, filters, ARNs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reelstack.domain.workflow.execution_rows import (
    ExecutionQuery,
    execution_arn,
    execution_row,
    region_of,
    select,
    state_machine_name,
)

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:IngestStateMachine"


def at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


def summary(name: str, status: str, start_ms: int = 0, stop_ms: int | None = None) -> dict:
    item = {
        "executionArn": execution_arn(MACHINE, name),
        "name": name,
        "status": status,
        "startDate": at(start_ms),
    }
    if stop_ms is not None:
        item["stopDate"] = at(stop_ms)
    return item


def entered(event_id: int, kind: str, ms: int, name: str) -> dict:
    return {"id": event_id, "type": kind, "timestamp": at(ms), "stateEnteredEventDetails": {"name": name}}


def exited(event_id: int, kind: str, ms: int, name: str) -> dict:
    return {"id": event_id, "type": kind, "timestamp": at(ms), "stateExitedEventDetails": {"name": name}}


FAILED_HISTORY = [
    {"id": 1, "type": "ExecutionStarted", "timestamp": at(0)},
    entered(2, "TaskStateEntered", 20, "Admit"),
    {"id": 3, "type": "TaskScheduled", "timestamp": at(21)},
    {
        "id": 4,
        "type": "TaskFailed",
        "timestamp": at(600),
        "taskFailedEventDetails": {"error": "NotFound", "cause": '{"errorMessage": "no video v1"}'},
    },
    exited(5, "TaskStateExited", 610, "Admit"),
    entered(6, "FailStateEntered", 700, "Failed"),
    {
        "id": 7,
        "type": "ExecutionFailed",
        "timestamp": at(1500),
        "executionFailedEventDetails": {"error": "IngestFailed", "cause": "An ingest stage failed."},
    },
]


def test_a_failed_execution_row_names_its_last_state_its_failed_state_and_the_error() -> None:
    # GIVEN a FAILED execution summary (no error field, as ListExecutions gives) and its history
    row = execution_row(summary("v1", "FAILED", 0, 1500), FAILED_HISTORY, as_of=at(9000))
    # THEN the row carries the last state, the state that went wrong and the execution's error
    assert (row.name, row.status, row.current_state) == ("v1", "FAILED", "Failed")
    assert row.failed_state is not None and row.failed_state.name == "Admit"
    assert (row.error, row.cause) == ("IngestFailed", "An ingest stage failed.")
    # AND the total runs from start to stop, not to the time it was read
    assert row.total_seconds == 1.5


def test_the_timeline_gives_offsets_from_the_start_durations_outcomes_and_errors() -> None:
    row = execution_row(summary("v1", "FAILED", 0, 1500), FAILED_HISTORY, as_of=at(9000))
    timeline = row.timeline()
    assert [(e.name, e.entered, e.exited, e.seconds, e.outcome) for e in timeline] == [
        ("Admit", 0.02, 0.61, 0.59, "caught"),
        ("Failed", 0.7, 1.5, 0.8, "failed"),
    ]
    assert (timeline[0].error, timeline[0].cause) == ("NotFound", "no video v1")


def test_a_running_execution_counts_up_to_when_it_was_read() -> None:
    # GIVEN an execution still in its second state
    history = [
        entered(1, "TaskStateEntered", 10, "Probe"),
        exited(2, "TaskStateExited", 400, "Probe"),
        entered(3, "TaskStateEntered", 410, "Transcode"),
    ]
    # WHEN read 5 s after its start
    row = execution_row(summary("v2", "RUNNING", 0), history, as_of=at(5000))
    # THEN the current state is the running one, and both the execution and the state count to now
    assert (row.current_state, row.total_seconds) == ("Transcode", 5.0)
    running = row.timeline()[-1]
    assert (running.outcome, running.exited, running.seconds) == ("running", None, 4.59)


def test_offsets_never_go_negative_when_the_history_clock_runs_ahead_of_the_start() -> None:
    row = execution_row(summary("v3", "RUNNING", 50), [entered(1, "PassStateEntered", 0, "Plan")], at(100))
    assert row.timeline()[0].entered == 0.0


def test_an_error_from_describe_execution_wins_over_the_history() -> None:
    item = summary("v1", "FAILED", 0, 1500) | {"error": "Custom", "cause": "told by DescribeExecution"}
    row = execution_row(item, FAILED_HISTORY, at(2000))
    assert (row.error, row.cause) == ("Custom", "told by DescribeExecution")


def test_a_succeeded_execution_has_no_error_and_no_failed_state() -> None:
    history = [
        entered(1, "SucceedStateEntered", 5, "Published"),
        exited(2, "SucceedStateExited", 6, "Published"),
    ]
    row = execution_row(summary("v4", "SUCCEEDED", 0, 10), history, at(20))
    assert (row.error, row.failed_state, row.current_state) == (None, None, "Published")


def test_select_filters_by_status_and_video_and_keeps_the_newest_first_up_to_the_limit() -> None:
    # GIVEN executions started in this order: a, b, c, d
    items = [summary("a", "FAILED", 0), summary("c", "FAILED", 2), summary("b", "SUCCEEDED", 1)]
    items.append(summary("d", "FAILED", 3))
    # THEN newest first, filtered, cut to the limit
    assert [s["name"] for s in select(items, ExecutionQuery(MACHINE))] == ["d", "c", "b", "a"]
    assert [s["name"] for s in select(items, ExecutionQuery(MACHINE, "FAILED", limit=2))] == ["d", "c"]
    assert [s["name"] for s in select(items, ExecutionQuery(MACHINE, video="b"))] == ["b"]
    assert select(items, ExecutionQuery(MACHINE, "FAILED", video="b")) == []


def test_a_query_refuses_an_unknown_status_and_a_limit_under_one() -> None:
    with pytest.raises(ValueError, match="unknown status"):
        ExecutionQuery(MACHINE, "DONE")
    with pytest.raises(ValueError, match="limit"):
        ExecutionQuery(MACHINE, limit=0)


def test_an_execution_arn_is_built_from_its_state_machine_and_its_name() -> None:
    assert (
        execution_arn(MACHINE, "v1")
        == "arn:aws:states:eu-west-1:123456789012:execution:IngestStateMachine:v1"
    )
    assert state_machine_name(MACHINE) == "IngestStateMachine"
    assert region_of(MACHINE) == "eu-west-1"
    assert region_of("not-an-arn") is None
    with pytest.raises(ValueError, match="not a state machine ARN"):
        execution_arn("arn:aws:lambda:eu-west-1:123456789012:function:f", "v1")
