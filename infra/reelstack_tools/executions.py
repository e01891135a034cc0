"""Step Functions executions as operators read them: current state and a per-state timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class StateStep:
    name: str
    entered: datetime
    exited: datetime | None
    outcome: str  # "succeeded", "failed", "caught", "running"

    @property
    def seconds(self) -> float | None:
        return None if self.exited is None else (self.exited - self.entered).total_seconds()


def state_timeline(events: list[dict[str, Any]]) -> list[StateStep]:
    """Fold GetExecutionHistory events into one step per state entered, in order."""
    steps: list[dict[str, Any]] = []
    for event in sorted(events, key=lambda e: e["id"]):
        kind = event["type"]
        if kind.endswith("StateEntered"):
            name = event["stateEnteredEventDetails"]["name"]
            steps.append({"name": name, "entered": event["timestamp"], "exited": None, "outcome": "running"})
        elif steps and (kind.endswith("Failed") or kind.endswith("TimedOut")) and kind != "ExecutionFailed":
            steps[-1]["outcome"] = "failed"
        elif kind.endswith("StateExited") and steps:
            step = steps[-1]
            step["exited"] = event["timestamp"]
            step["outcome"] = "caught" if step["outcome"] == "failed" else "succeeded"
        elif kind == "ExecutionFailed" and steps and steps[-1]["exited"] is None:
            steps[-1]["exited"] = event["timestamp"]
            steps[-1]["outcome"] = "failed"
    return [StateStep(**step) for step in steps]


def execution_timeline(sfn: Any, execution_arn: str) -> list[StateStep]:
    events: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = sfn.get_execution_history(**kwargs)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return state_timeline(events)
        kwargs["nextToken"] = page["nextToken"]
