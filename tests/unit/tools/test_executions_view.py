"""Rendering execution rows: what an operator reads in the terminal."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from rich.console import Console

from reelstack.domain.workflow.execution_rows import (
    ExecutionQuery,
    ExecutionRow,
    execution_arn,
    execution_row,
)
from reelstack_tools.executions_view import Listing, render

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:IngestStateMachine"


def text_of(listing: Listing) -> str:
    console = Console(record=True, width=200, file=io.StringIO())
    console.print(render(listing))
    return console.export_text()


def failed_row(name: str) -> ExecutionRow:
    history = [
        {"id": 1, "type": "TaskStateEntered", "timestamp": T0, "stateEnteredEventDetails": {"name": "Admit"}},
        {
            "id": 2,
            "type": "TaskFailed",
            "timestamp": T0 + timedelta(milliseconds=250),
            "taskFailedEventDetails": {
                "error": "NotFound",
                "cause": '{"errorMessage": "[video_not_found] no video"}',
            },
        },
        {
            "id": 3,
            "type": "TaskStateExited",
            "timestamp": T0 + timedelta(milliseconds=260),
            "stateExitedEventDetails": {"name": "Admit"},
        },
        {
            "id": 4,
            "type": "FailStateEntered",
            "timestamp": T0 + timedelta(milliseconds=700),
            "stateEnteredEventDetails": {"name": "Failed"},
        },
        {"id": 5, "type": "ExecutionFailed", "timestamp": T0 + timedelta(seconds=1)},
    ]
    item = {
        "executionArn": execution_arn(MACHINE, name),
        "name": name,
        "status": "FAILED",
        "startDate": T0,
        "stopDate": T0 + timedelta(seconds=1),
    }
    return execution_row(item, history, T0 + timedelta(seconds=2))


def test_each_execution_shows_in_the_summary_and_with_its_timeline() -> None:
    # GIVEN one failed execution
    listing = Listing(ExecutionQuery(MACHINE, "FAILED"), "local cloud", T0, [failed_row("vid-1")])
    # WHEN rendered
    text = text_of(listing)
    # THEN the header names the state machine and the filter
    assert "IngestStateMachine executions on local cloud" in text and "status FAILED" in text
    # AND the summary line and the timeline lines carry the name, status, states, offsets and outcomes
    summary = next(line for line in text.splitlines() if "vid-1" in line and "FAILED" in line)
    assert "Failed" in summary and "1.000" in summary
    assert summary.rstrip(" │").endswith("Admit")  # the state it went wrong in
    admit = next(line for line in text.splitlines() if line.startswith("│ Admit "))
    assert "+0.000s" in admit and "+0.260s" in admit and "caught" in admit
    # AND the error keeps its bracketed code (it is text, not rich markup)
    assert "NotFound: [video_not_found] no video" in admit


def test_an_empty_listing_says_so_and_a_missing_video_is_named() -> None:
    assert "no executions match" in text_of(Listing(ExecutionQuery(MACHINE), "AWS", T0))
    assert "no execution named v9" in text_of(Listing(ExecutionQuery(MACHINE, video="v9"), "AWS", T0))


def test_a_read_problem_is_shown_instead_of_rows() -> None:
    listing = Listing(ExecutionQuery(MACHINE), "AWS", T0, problem="AccessDenied: not allowed")
    assert "error: AccessDenied: not allowed" in text_of(listing)
