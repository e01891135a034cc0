"""Create SQS queues, SNS topics and subscriptions, EventBridge buses and pattern rules (idempotently).

Queues get every attribute the template sets; `visibility_timeout_cap` lowers VisibilityTimeout so
retry and dead-letter behaviour can be observed in seconds. EventBridge rules are registered with
their SQS/SNS targets (moto delivers to those); function and state machine targets are routed by
`EventRouter`, and scheduled rules by `Scheduler`.
"""

from __future__ import annotations

import json
from typing import Any

from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.intrinsics import to_text
from reelstack_tools.localcloud.naming import event_bus_name
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Resource

_QUEUE_ATTRIBUTES = (
    "DelaySeconds",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ReceiveMessageWaitTimeSeconds",
    "VisibilityTimeout",
    "FifoQueue",
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "SqsManagedSseEnabled",
)
MOTO_DELIVERED_TARGETS = ("sqs", "sns", "logs")


def create_queue(
    stack: Stack, clients: Clients, resource: Resource, visibility_timeout_cap: int | None
) -> None:
    props = stack.properties(resource.logical_id)
    name = stack.physical_name(resource.logical_id)
    attributes = {key: to_text(props[key]) for key in _QUEUE_ATTRIBUTES if key in props}
    if visibility_timeout_cap is not None:
        visibility = int(attributes.get("VisibilityTimeout", "30"))
        attributes["VisibilityTimeout"] = str(min(visibility, visibility_timeout_cap))
    for key in ("RedrivePolicy", "RedriveAllowPolicy"):
        if key in props:
            value = props[key]
            attributes[key] = value if isinstance(value, str) else json.dumps(value)
    request: dict[str, Any] = {"QueueName": name, "Attributes": attributes}
    if props.get("Tags"):
        request["tags"] = {str(tag["Key"]): str(tag["Value"]) for tag in props["Tags"]}
    url = clients.get("sqs").create_queue(**request)["QueueUrl"]
    stack.record(resource.logical_id, Ref=url, QueueUrl=url)


def create_topic(stack: Stack, clients: Clients, resource: Resource) -> None:
    props = stack.properties(resource.logical_id)
    attributes = {
        key: to_text(props[key])
        for key in ("DisplayName", "FifoTopic", "ContentBasedDeduplication")
        if key in props
    }
    sns = clients.get("sns")
    topic_arn = sns.create_topic(Name=stack.physical_name(resource.logical_id), Attributes=attributes)[
        "TopicArn"
    ]
    for subscription in props.get("Subscription") or []:
        _subscribe(sns, topic_arn, subscription)


def create_subscription(stack: Stack, clients: Clients, resource: Resource) -> None:
    props = stack.properties(resource.logical_id)
    _subscribe(clients.get("sns"), str(props["TopicArn"]), props)


def _subscribe(sns: Any, topic_arn: str, props: dict[str, Any]) -> None:
    if props.get("Protocol") not in ("sqs", "http", "https", "email", "sms"):
        raise UnsupportedTarget(f"SNS protocol {props.get('Protocol')} is not delivered locally")
    attributes = {}
    for key in ("FilterPolicy", "RawMessageDelivery", "FilterPolicyScope", "RedrivePolicy"):
        if key in props:
            value = props[key]
            attributes[key] = json.dumps(value) if isinstance(value, dict) else to_text(value)
    sns.subscribe(
        TopicArn=topic_arn, Protocol=props["Protocol"], Endpoint=props["Endpoint"], Attributes=attributes
    )


def create_event_bus(stack: Stack, clients: Clients, resource: Resource) -> None:
    events = clients.get("events")
    name = stack.physical_name(resource.logical_id)
    existing = {bus["Name"] for bus in events.list_event_buses()["EventBuses"]}
    if name not in existing:
        events.create_event_bus(Name=name)


def create_pattern_rule(stack: Stack, clients: Clients, resource: Resource) -> None:
    """Register an EventPattern rule; only targets moto delivers itself are attached to it."""
    props = stack.properties(resource.logical_id)
    if "EventPattern" not in props:
        return  # a schedule: the Scheduler runs it
    events = clients.get("events")
    name = stack.physical_name(resource.logical_id)
    bus = event_bus_name(props.get("EventBusName"))
    pattern = props["EventPattern"]
    events.put_rule(
        Name=name,
        EventBusName=bus,
        EventPattern=pattern if isinstance(pattern, str) else json.dumps(pattern),
        State=str(props.get("State", "ENABLED")),
    )
    targets = [
        {
            key: target[key]
            for key in ("Id", "Arn", "Input", "InputPath", "InputTransformer", "SqsParameters")
            if key in target
        }
        for target in props.get("Targets") or []
        if str(target["Arn"]).split(":")[2] in MOTO_DELIVERED_TARGETS
    ]
    if targets:
        events.put_targets(Rule=name, EventBusName=bus, Targets=targets)


class UnsupportedTarget(ValueError):
    pass
