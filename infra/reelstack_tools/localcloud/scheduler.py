"""Run the template's schedules: `Schedule`/`ScheduleV2` events, scheduled `AWS::Events::Rule`s and
`AWS::Scheduler::Schedule`s, each delivering to its targets when due, or on demand (`fire`).

A target gets the scheduled event EventBridge sends (`detail-type: Scheduled Event`), or the target's
`Input` when the template gives one. Function targets are invoked asynchronously, as EventBridge does;
`fire(..., wait=True)` invokes them synchronously and returns their results.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from reelstack_tools.localcloud import schedule_expr
from reelstack_tools.localcloud.local_env import ACCOUNT_ID, LOG, REGION, arn
from reelstack_tools.localcloud.stack import Stack

log = logging.getLogger(LOG)

Deliver = Callable[[str, str, bool], dict[str, Any]]
SCHEDULE_EVENT_TYPES = ("Schedule", "ScheduleV2")


@dataclass(frozen=True)
class ScheduledTarget:
    arn: str
    input: str | None = None


@dataclass(frozen=True)
class ScheduleSpec:
    name: str  # the rule / schedule name; also how `fire` finds it
    logical_id: str  # the SAM-generated or declared logical id
    expression: str
    targets: tuple[ScheduledTarget, ...]
    enabled: bool = True
    timezone: str = "UTC"
    source: str = "aws.events"

    @property
    def rule_arn(self) -> str:
        if self.source == "aws.scheduler":
            return arn("scheduler", f"schedule/default/{self.name}")
        return arn("events", f"rule/{self.name}")

    def parsed(self) -> schedule_expr.Schedule:
        return schedule_expr.parse(self.expression, self.timezone)


def _input(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _enabled(props: dict[str, Any]) -> bool:
    return props.get("Enabled", True) is not False and str(props.get("State", "ENABLED")) == "ENABLED"


def schedules_from_stack(stack: Stack) -> list[ScheduleSpec]:
    """Every schedule the template declares (expressions are validated here)."""
    specs: list[ScheduleSpec] = []
    for resource in stack.resources("AWS::Events::Rule"):
        props = stack.properties(resource.logical_id)
        if "ScheduleExpression" in props:
            targets = tuple(
                ScheduledTarget(str(target["Arn"]), _input(target.get("Input")))
                for target in props.get("Targets") or []
            )
            specs.append(
                ScheduleSpec(
                    stack.physical_name(resource.logical_id),
                    resource.logical_id,
                    str(props["ScheduleExpression"]),
                    targets,
                    _enabled(props),
                )
            )
    for resource in stack.resources("AWS::Scheduler::Schedule"):
        props = stack.properties(resource.logical_id)
        target = props.get("Target") or {}
        specs.append(
            ScheduleSpec(
                name=stack.physical_name(resource.logical_id),
                logical_id=resource.logical_id,
                expression=str(props["ScheduleExpression"]),
                targets=(ScheduledTarget(str(target["Arn"]), _input(target.get("Input"))),),
                enabled=_enabled(props),
                timezone=str(props.get("ScheduleExpressionTimezone", "UTC")),
                source="aws.scheduler",
            )
        )
    for event in stack.events(*SCHEDULE_EVENT_TYPES):
        props = event.properties
        version_2 = event.type == "ScheduleV2"
        logical_id = f"{event.owner.logical_id}{event.event_id}"
        specs.append(
            ScheduleSpec(
                name=str(props.get("Name") or logical_id),
                logical_id=logical_id,
                expression=str(props.get("ScheduleExpression") if version_2 else props.get("Schedule")),
                targets=(ScheduledTarget(event.owner_arn, _input(props.get("Input"))),),
                enabled=_enabled(props),
                timezone=str(props.get("ScheduleExpressionTimezone", "UTC")),
                source="aws.scheduler" if version_2 else "aws.events",
            )
        )
    for spec in specs:
        spec.parsed()  # fail at start-up, not at the first tick
    return specs


def scheduled_event(spec: ScheduleSpec, moment: datetime) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": spec.source,
        "account": ACCOUNT_ID,
        "time": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": [spec.rule_arn],
        "detail": {},
    }


class UnknownSchedule(LookupError):
    pass


class Scheduler:
    def __init__(
        self, schedules: list[ScheduleSpec], deliver: Deliver, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.schedules = schedules
        self._deliver = deliver
        self._clock = clock or (lambda: datetime.now(UTC))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def find(self, name: str) -> ScheduleSpec:
        for spec in self.schedules:
            if name in (spec.name, spec.logical_id):
                return spec
        raise UnknownSchedule(name)

    def fire(self, name: str, wait: bool = False) -> list[dict[str, Any]]:
        return self._fire(self.find(name), self._clock(), wait)

    def start(self) -> None:
        if any(spec.enabled for spec in self.schedules):
            self._thread = threading.Thread(target=self._loop, name="scheduler", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _fire(self, spec: ScheduleSpec, moment: datetime, wait: bool) -> list[dict[str, Any]]:
        results = []
        for target in spec.targets:
            body = target.input if target.input is not None else json.dumps(scheduled_event(spec, moment))
            try:
                results.append(self._deliver(target.arn, body, wait))
            except Exception as error:
                log.exception("schedule %s could not deliver to %s", spec.name, target.arn)
                results.append({"target": target.arn, "status": "failed", "detail": str(error)})
        return results

    def _loop(self) -> None:
        started = self._clock()
        due: dict[str, datetime | None] = {
            spec.name: spec.parsed().next_after(started, started) for spec in self.schedules if spec.enabled
        }
        while not self._stop.is_set():
            pending = {name: when for name, when in due.items() if when is not None}
            if not pending:
                return
            name, when = min(pending.items(), key=lambda item: item[1])
            wait_seconds = (when - self._clock()).total_seconds()
            if wait_seconds > 0 and self._stop.wait(min(wait_seconds, 60.0)):
                return
            if self._clock() < when:
                continue
            spec = self.find(name)
            log.info("schedule %s fired (%s)", spec.name, spec.expression)
            self._fire(spec, when, wait=False)
            # The next tick after now, not after `when`: ticks missed while the machine slept are skipped, as
            # EventBridge does, instead of all firing at once.
            due[name] = spec.parsed().next_after(max(when, self._clock()), started)
