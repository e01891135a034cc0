"""Deliver a message to a target named by ARN: an SQS queue, an SNS topic, an event bus, a function
or a state machine. Used by asynchronous-invocation destinations, dead-letter queues and schedules.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.local_env import ACCOUNT_ID
from reelstack_tools.localcloud.naming import event_bus_name
from reelstack_tools.localcloud.pool import InvokeResult

AsyncInvoke = Callable[[str, str], str]
SyncInvoke = Callable[[str, str], InvokeResult]


class Destinations:
    def __init__(self, clients: Clients, invoke_async: AsyncInvoke, invoke_sync: SyncInvoke) -> None:
        self._clients = clients
        self._invoke_async = invoke_async
        self._invoke_sync = invoke_sync

    def send(
        self, target_arn: str, body: str, attributes: Mapping[str, str] | None = None, *, wait: bool = False
    ) -> dict[str, Any]:
        """Deliver `body` (JSON text). A function target is invoked asynchronously, or synchronously
        with `wait`, in which case its outcome is part of the answer."""
        service = target_arn.split(":")[2] if target_arn.count(":") >= 2 else ""
        if service == "lambda" and wait:
            result = self._invoke_sync(target_arn, body)
            outcome = "error" if result.error_type else "ok"
            return {
                "target": target_arn,
                "status": outcome,
                "payload": result.json(),
                "request_id": result.request_id,
            }
        return {
            "target": target_arn,
            "status": "sent",
            "detail": self._deliver(service, target_arn, body, attributes),
        }

    def _deliver(self, service: str, target_arn: str, body: str, attributes: Mapping[str, str] | None) -> str:
        if service == "sqs":
            name = target_arn.rsplit(":", 1)[1]
            message: dict[str, Any] = {
                "QueueUrl": f"{self._clients.endpoint}/{ACCOUNT_ID}/{name}",
                "MessageBody": body,
            }
            if attributes:
                message["MessageAttributes"] = _string_attributes(attributes)
            if name.endswith(".fifo"):
                message["MessageGroupId"] = "default"
                message["MessageDeduplicationId"] = str(uuid.uuid4())
            self._clients.get("sqs").send_message(**message)
            return f"sent to queue {name}"
        if service == "sns":
            extra = {"MessageAttributes": _string_attributes(attributes)} if attributes else {}
            self._clients.get("sns").publish(TopicArn=target_arn, Message=body, **extra)
            return f"published to {target_arn}"
        if service == "lambda":
            request_id = self._invoke_async(target_arn, body)
            return f"invoked {target_arn} ({request_id})"
        if service == "states":
            name = f"local-{uuid.uuid4()}"
            self._clients.get("stepfunctions").start_execution(
                stateMachineArn=target_arn, name=name, input=body
            )
            return f"started {target_arn} execution {name}"
        if service == "events":
            bus = event_bus_name(target_arn)
            document = json.loads(body)
            entry = {
                "EventBusName": bus,
                "Source": document.get("source", "lambda"),
                "DetailType": document.get("detail-type", "Lambda Function Invocation Result"),
                "Detail": json.dumps(document.get("detail", document)),
            }
            self._clients.get("events").put_events(Entries=[entry])
            return f"put on event bus {bus}"
        raise ValueError(f"cannot deliver to {target_arn}")


def _string_attributes(attributes: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """SQS/SNS message attributes (a dead-letter message's RequestID, ErrorCode, ErrorMessage)."""
    return {key: {"DataType": "String", "StringValue": value} for key, value in attributes.items()}
