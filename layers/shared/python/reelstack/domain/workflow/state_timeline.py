"""Step Functions executions as operators read them: a per-state timeline folded from the history.

`state_timeline` is pure: it turns GetExecutionHistory events (any order) into one `StateStep` per state
entered, with its outcome, its attempts and its last error. Events are tied to their state through
`previousEventId` (so parallel branches do not mix), falling back to the latest open state.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

SUCCEEDED = "succeeded"
FAILED = "failed"
CAUGHT = "caught"  # the state failed and a Catch moved the execution on
RETRIED = "retried"  # the state failed at least once, then a Retry succeeded
RUNNING = "running"
STATE_OUTCOMES = (SUCCEEDED, FAILED, CAUGHT, RETRIED, RUNNING)

EXECUTION_ENDS_IN_FAILURE = ("ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted")
CAUSE_LIMIT = 200


@dataclass(frozen=True)
class StateStep:
    name: str
    entered: datetime
    exited: datetime | None
    outcome: str  # SUCCEEDED, FAILED, CAUGHT, RETRIED or RUNNING
    attempts: int = 1
    error: str | None = None  # the last error the state saw (kept when a retry succeeded)
    cause: str | None = None  # its cause, summarised (`summarize_cause`)

    @property
    def seconds(self) -> float | None:
        return None if self.exited is None else (self.exited - self.entered).total_seconds()


@dataclass
class _Open:
    name: str
    entered: datetime
    exited: datetime | None = None
    scheduled: int = 0
    failures: int = 0
    failing: bool = False  # the latest attempt failed
    ended_failed: bool = False  # the execution ended while this state was open
    error: str | None = None
    cause: str | None = field(default=None, repr=False)

    def outcome(self) -> str:
        if self.ended_failed:
            return FAILED
        if self.exited is None:
            return RUNNING
        if self.failing:
            return CAUGHT
        return RETRIED if self.failures else SUCCEEDED

    def freeze(self) -> StateStep:
        return StateStep(
            self.name,
            self.entered,
            self.exited,
            self.outcome(),
            max(1, self.scheduled),
            self.error,
            summarize_cause(self.cause),
        )


def summarize_cause(cause: str | None, limit: int = CAUSE_LIMIT) -> str | None:
    """One short line from a cause: a Lambda error's `errorMessage` (not its stack trace), else the text."""
    if not cause:
        return None
    text = cause
    try:
        document = json.loads(cause)
    except ValueError:
        document = None
    if isinstance(document, dict):
        message = document.get("errorMessage") or document.get("message") or document.get("Message")
        if isinstance(message, str) and message:
            text = message
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def event_details(event: dict[str, Any]) -> dict[str, Any]:
    """The event's `...EventDetails` member (each event type has its own name for it)."""
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, dict):
            return value
    return {}


def is_failure(kind: str) -> bool:
    """An attempt of a state failed (TaskFailed, LambdaFunctionTimedOut, MapStateFailed ...)."""
    return not kind.startswith("Execution") and kind.endswith(("Failed", "TimedOut"))


def is_attempt(kind: str) -> bool:
    """A new attempt of a state's work starts (a retry is another one)."""
    return kind in ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled")


def state_timeline(events: list[dict[str, Any]]) -> list[StateStep]:
    """Fold GetExecutionHistory events into one step per state entered, in order."""
    steps: list[_Open] = []
    owner: dict[int, int] = {}  # event id -> index of the step it belongs to

    def open_steps() -> list[int]:
        return [index for index, step in enumerate(steps) if step.exited is None]

    def owning(event: dict[str, Any]) -> int | None:
        parent = event.get("previousEventId")
        if isinstance(parent, int) and parent in owner:
            return owner[parent]
        still_open = open_steps()
        return still_open[-1] if still_open else None

    for event in sorted(events, key=lambda e: e["id"]):
        kind = str(event["type"])
        if kind.endswith("StateEntered"):
            name = str(event["stateEnteredEventDetails"]["name"])
            steps.append(_Open(name, event["timestamp"]))
            owner[event["id"]] = len(steps) - 1
        elif kind.endswith("StateExited"):
            name = str(event.get("stateExitedEventDetails", {}).get("name", ""))
            named = [i for i in open_steps() if steps[i].name == name]
            index = named[-1] if named else owning(event)
            if index is not None:
                steps[index].exited = event["timestamp"]
                owner[event["id"]] = index
        elif kind in EXECUTION_ENDS_IN_FAILURE:
            details = event_details(event)
            for index in open_steps():
                step = steps[index]
                step.exited, step.ended_failed = event["timestamp"], True
                if step.error is None:
                    step.error = str(details.get("error") or kind)
                    step.cause = details.get("cause")
        else:
            index = owning(event)
            if index is None:
                continue
            owner[event["id"]] = index
            step = steps[index]
            if is_attempt(kind):
                step.scheduled += 1
                step.failing = False
            elif is_failure(kind):
                details = event_details(event)
                step.failures += 1
                step.failing = True
                step.error = str(details.get("error") or kind)
                step.cause = details.get("cause")
    return [step.freeze() for step in steps]
