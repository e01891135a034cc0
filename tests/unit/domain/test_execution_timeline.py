"""Folding Step Functions history events into the per-state timeline operators read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reelstack.domain.workflow.state_timeline import state_timeline

T0 = datetime(2026, 11, 22, tzinfo=UTC)


def event(event_id: int, kind: str, ms: int, name: str | None = None) -> dict:
    body: dict = {"id": event_id, "type": kind, "timestamp": T0 + timedelta(milliseconds=ms)}
    if name is not None:
        body["stateEnteredEventDetails" if kind.endswith("Entered") else "stateExitedEventDetails"] = {
            "name": name
        }
    return body


def test_a_successful_run_gives_one_succeeded_step_per_state() -> None:
    # GIVEN the history of Admit (a Task) then Admitted (Succeed)
    history = [
        event(1, "ExecutionStarted", 0),
        event(2, "TaskStateEntered", 5, "Admit"),
        event(3, "TaskScheduled", 6),
        event(4, "TaskSucceeded", 80),
        event(5, "TaskStateExited", 81, "Admit"),
        event(6, "SucceedStateEntered", 82, "Admitted"),
        event(7, "SucceedStateExited", 82, "Admitted"),
        event(8, "ExecutionSucceeded", 83),
    ]
    # WHEN folded
    steps = state_timeline(list(reversed(history)))
    # THEN each state appears once, in order, with its duration
    assert [(s.name, s.outcome) for s in steps] == [("Admit", "succeeded"), ("Admitted", "succeeded")]
    assert steps[0].seconds == 0.076


def test_a_caught_failure_and_the_fail_state_are_told_apart() -> None:
    # GIVEN Admit failing into its Catch, then the Fail state ending the execution
    history = [
        event(1, "TaskStateEntered", 0, "Admit"),
        event(2, "TaskFailed", 10),
        event(3, "TaskStateExited", 11, "Admit"),
        event(4, "FailStateEntered", 12, "Failed"),
        event(5, "ExecutionFailed", 13),
    ]
    steps = state_timeline(history)
    # THEN the Task was caught and the Fail state failed the run
    assert [(s.name, s.outcome) for s in steps] == [("Admit", "caught"), ("Failed", "failed")]


def test_a_state_still_running_has_no_end() -> None:
    steps = state_timeline([event(1, "TaskStateEntered", 0, "Admit")])
    assert steps[0].outcome == "running" and steps[0].seconds is None
