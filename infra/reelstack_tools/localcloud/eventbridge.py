"""EventBridge rules whose targets moto cannot reach: functions and state machines.

Rules come from `AWS::Events::Rule` resources with an EventPattern and from `EventBridgeRule` /
`CloudWatchEvent` events of functions and state machines. `EventsEdge` lets moto answer PutEvents
(moto itself delivers to SQS/SNS targets), then matches each accepted entry against these rules with
moto's pattern matcher and delivers it (functions are invoked asynchronously, as EventBridge does).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from reelstack_tools.localcloud.local_env import ACCOUNT_ID, LOG, REGION
from reelstack_tools.localcloud.naming import event_bus_name
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.wsgi import Environ, JsonTargetEdge, StartResponse, WsgiApp

log = logging.getLogger(LOG)

TARGET = "AWSEvents.PutEvents"
RULE_EVENT_TYPES = ("EventBridgeRule", "CloudWatchEvent")
ROUTED_SERVICES = ("lambda", "states")

Deliver = Callable[[str, str], Any]


@dataclass(frozen=True)
class RuleTarget:
    arn: str
    input: str | None = None
    input_path: str | None = None
    input_transformer: dict[str, Any] | None = None


@dataclass(frozen=True)
class PatternRule:
    name: str
    bus: str
    pattern: dict[str, Any]
    targets: tuple[RuleTarget, ...]
    enabled: bool = True


def _target(props: dict[str, Any], arn: str) -> RuleTarget:
    return RuleTarget(
        arn=arn,
        input=props.get("Input"),
        input_path=props.get("InputPath"),
        input_transformer=props.get("InputTransformer"),
    )


def parse_pattern(value: Any) -> dict[str, Any]:
    """An event pattern (EventBridge rules, SQS event filters) given as JSON text or as an object."""
    return json.loads(value) if isinstance(value, str) else dict(value or {})


def compile_pattern(pattern: dict[str, Any]) -> Any:
    """moto's matcher for a pattern: `.matches_event(event)`."""
    from moto.events.models import EventPattern

    return EventPattern.load(json.dumps(pattern))


def rules_from_stack(stack: Stack) -> list[PatternRule]:
    rules: list[PatternRule] = []
    for resource in stack.resources("AWS::Events::Rule"):
        props = stack.properties(resource.logical_id)
        if "EventPattern" not in props:
            continue
        targets = tuple(
            _target(target, str(target["Arn"]))
            for target in props.get("Targets") or []
            if str(target["Arn"]).split(":")[2] in ROUTED_SERVICES
        )
        if targets:
            rules.append(
                PatternRule(
                    name=stack.physical_name(resource.logical_id),
                    bus=event_bus_name(props.get("EventBusName")),
                    pattern=parse_pattern(props["EventPattern"]),
                    targets=targets,
                    enabled=str(props.get("State", "ENABLED")) == "ENABLED",
                )
            )
    for event in stack.events(*RULE_EVENT_TYPES):
        props = event.properties
        rules.append(
            PatternRule(
                name=str(props.get("RuleName") or f"{event.owner.logical_id}{event.event_id}"),
                bus=event_bus_name(props.get("EventBusName")),
                pattern=parse_pattern(props.get("Pattern")),
                targets=(_target(props, event.owner_arn),),
                enabled=str(props.get("State", "ENABLED")) == "ENABLED"
                and props.get("Enabled", True) is not False,
            )
        )
    return rules


def event_from_entry(entry: dict[str, Any], event_id: str) -> dict[str, Any]:
    """The event EventBridge builds from one PutEvents entry."""
    when = entry.get("Time")
    moment = datetime.fromtimestamp(float(when), UTC) if isinstance(when, (int, float)) else datetime.now(UTC)
    return {
        "version": "0",
        "id": event_id,
        "detail-type": entry.get("DetailType"),
        "source": entry.get("Source"),
        "account": ACCOUNT_ID,
        "time": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": REGION,
        "resources": entry.get("Resources", []),
        "detail": json.loads(entry.get("Detail") or "{}"),
    }


def target_input(target: RuleTarget, event: dict[str, Any]) -> str:
    """What the target receives: the event, or its Input / InputPath / InputTransformer."""
    if target.input is not None:
        return target.input if isinstance(target.input, str) else json.dumps(target.input)
    if target.input_path:
        value: Any = event
        for part in target.input_path.lstrip("$").strip(".").split("."):
            if part:
                value = value.get(part) if isinstance(value, dict) else None
        return json.dumps(value)
    if target.input_transformer:
        from moto.events.models import EventTemplateParser

        return str(
            EventTemplateParser.parse(
                input_template=str(target.input_transformer.get("InputTemplate", "")),
                input_paths_map=target.input_transformer.get("InputPathsMap", {}),
                event=cast(Any, event),
            )
        )
    return json.dumps(event)


class EventRouter:
    def __init__(self, rules: list[PatternRule], deliver: Deliver) -> None:
        self.rules = rules
        self._deliver = deliver
        self._patterns = [compile_pattern(rule.pattern) for rule in rules]

    def route(self, event: dict[str, Any], bus: str) -> int:
        delivered = 0
        for rule, pattern in zip(self.rules, self._patterns, strict=True):
            if not rule.enabled or rule.bus != bus or not pattern.matches_event(cast(Any, event)):
                continue
            for target in rule.targets:
                try:
                    self._deliver(target.arn, target_input(target, event))
                    delivered += 1
                except Exception:
                    log.exception("rule %s could not deliver to %s", rule.name, target.arn)
        return delivered


class EventsEdge(JsonTargetEdge):
    """PutEvents through moto, then to the routed rules."""

    TARGET = TARGET

    def __init__(self, moto: WsgiApp, router: EventRouter) -> None:
        super().__init__(moto)
        self._router = router

    def handle(
        self, request: dict[str, Any], environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"] = status
            return start_response(status, headers, exc_info) if exc_info else start_response(status, headers)

        body = b"".join(self.moto(environ, capture))
        if str(captured.get("status", "")).startswith("200"):
            answers = json.loads(body or b"{}").get("Entries", [])
            for entry, answer in zip(request.get("Entries", []), answers, strict=False):
                if "EventId" in answer:
                    self._router.route(
                        event_from_entry(entry, answer["EventId"]), event_bus_name(entry.get("EventBusName"))
                    )
        return [body]
