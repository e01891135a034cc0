"""Folding histories with retries, parallel branches, aborts and Lambda errors into state steps."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from reelstack.domain.workflow.state_timeline import state_timeline, summarize_cause

T0 = datetime(2026, 11, 22, tzinfo=UTC)


def event(event_id: int, kind: str, ms: int, previous: int | None = None, **details: object) -> dict:
    body: dict = {"id": event_id, "type": kind, "timestamp": T0 + timedelta(milliseconds=ms)}
    if previous is not None:
        body["previousEventId"] = previous
    if kind.endswith("StateEntered"):
        body["stateEnteredEventDetails"] = details
    elif kind.endswith("StateExited"):
        body["stateExitedEventDetails"] = details
    elif details:
        body[kind[0].lower() + kind[1:] + "EventDetails"] = details
    return body


def test_a_state_that_failed_then_succeeded_on_retry_is_retried_with_its_attempts_and_error() -> None:
    # GIVEN Transcode failing once with a transient error, then succeeding on its Retry
    history = [
        event(1, "TaskStateEntered", 0, name="Transcode"),
        event(2, "TaskScheduled", 1),
        event(3, "TaskFailed", 50, error="DependencyFailed", cause="throttled"),
        event(4, "TaskScheduled", 1050),
        event(5, "TaskSucceeded", 1400),
        event(6, "TaskStateExited", 1401, name="Transcode"),
    ]
    # WHEN folded
    [step] = state_timeline(history)
    # THEN it is "retried", after two attempts, and the error it recovered from is kept
    assert (step.outcome, step.attempts, step.error, step.cause) == (
        "retried",
        2,
        "DependencyFailed",
        "throttled",
    )
    assert step.seconds == 1.401


def test_retries_that_all_fail_before_a_catch_are_caught_with_the_last_error() -> None:
    # GIVEN three attempts that all fail, then the Catch leaves the state
    history = [event(1, "TaskStateEntered", 0, name="Probe")]
    for attempt in range(3):
        history += [
            event(2 + 2 * attempt, "TaskScheduled", 10 * attempt),
            event(3 + 2 * attempt, "TaskFailed", 10 * attempt + 5, error=f"E{attempt}"),
        ]
    history.append(event(8, "TaskStateExited", 40, name="Probe"))
    [step] = state_timeline(history)
    assert (step.outcome, step.attempts, step.error) == ("caught", 3, "E2")


def test_events_of_parallel_branches_are_tied_to_their_own_state_through_previous_event_ids() -> None:
    # GIVEN two branches interleaved: A fails once and is retried, B succeeds first time
    history = [
        event(1, "ExecutionStarted", 0),
        event(2, "ParallelStateEntered", 1, 1, name="Renditions"),
        event(3, "ParallelStateStarted", 2, 2),
        event(4, "TaskStateEntered", 3, 3, name="A"),
        event(5, "TaskStateEntered", 3, 3, name="B"),
        event(6, "TaskScheduled", 4, 4),
        event(7, "TaskScheduled", 4, 5),
        event(8, "TaskFailed", 20, 6, error="Boom"),
        event(9, "TaskSucceeded", 30, 7),
        event(10, "TaskStateExited", 31, 9, name="B"),
        event(11, "TaskScheduled", 40, 8),
        event(12, "TaskSucceeded", 60, 11),
        event(13, "TaskStateExited", 61, 12, name="A"),
        event(14, "ParallelStateSucceeded", 62, 13),
        event(15, "ParallelStateExited", 63, 14, name="Renditions"),
    ]
    # WHEN folded
    steps = {step.name: step for step in state_timeline(history)}
    # THEN the failure and the retry belong to A, not to B (the state entered last)
    assert (steps["A"].outcome, steps["A"].attempts, steps["A"].error) == ("retried", 2, "Boom")
    assert (steps["B"].outcome, steps["B"].attempts, steps["B"].error) == ("succeeded", 1, None)
    assert steps["Renditions"].outcome == "succeeded"


def test_an_aborted_execution_fails_the_state_it_was_in() -> None:
    # GIVEN an execution stopped (StopExecution) while waiting for a reviewer
    history = [
        event(1, "TaskStateEntered", 0, name="AwaitReview"),
        event(2, "TaskScheduled", 1),
        event(3, "ExecutionAborted", 5000),
    ]
    [step] = state_timeline(history)
    # THEN the waiting state ends failed when the execution ended, naming why
    assert (step.outcome, step.error, step.seconds) == ("failed", "ExecutionAborted", 5.0)


def test_a_timed_out_execution_carries_the_timeout_error() -> None:
    history = [
        event(1, "TaskStateEntered", 0, name="Transcode"),
        event(2, "ExecutionTimedOut", 900, error="States.Timeout", cause="ran past TimeoutSeconds"),
    ]
    [step] = state_timeline(history)
    assert (step.outcome, step.error, step.cause) == ("failed", "States.Timeout", "ran past TimeoutSeconds")


def test_a_state_waiting_to_retry_is_still_running_but_shows_its_last_error() -> None:
    history = [
        event(1, "TaskStateEntered", 0, name="Moderate"),
        event(2, "TaskScheduled", 1),
        event(3, "TaskFailed", 9, error="DependencyFailed"),
    ]
    [step] = state_timeline(history)
    assert (step.outcome, step.exited, step.error) == ("running", None, "DependencyFailed")


def test_a_lambda_error_cause_is_summarised_to_its_message_without_the_stack_trace() -> None:
    # GIVEN the cause Step Functions records for a Lambda that raised
    cause = json.dumps(
        {
            "errorMessage": "[video_not_found] no video v1",
            "errorType": "NotFound",
            "stackTrace": ['  File "app.py", line 20, in handler\n'],
        }
    )
    # WHEN summarised
    # THEN only the message is left
    assert summarize_cause(cause) == "[video_not_found] no video v1"


def test_a_plain_cause_is_put_on_one_line_and_cut_to_the_limit() -> None:
    assert summarize_cause("An ingest stage\n  failed") == "An ingest stage failed"
    long = summarize_cause("x" * 500, limit=40)
    assert long is not None and len(long) == 40 and long.endswith("…")
    assert summarize_cause(None) is None and summarize_cause("") is None
