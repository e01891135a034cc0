"""Deliveries to targets named by ARN, against stand-in SDK clients (no sockets)."""

from __future__ import annotations

from typing import Any

from reelstack_tools.localcloud.destinations import Destinations

ATTRIBUTES = {"RequestID": "r1", "ErrorCode": "200", "ErrorMessage": "boom"}
EXPECTED = {key: {"DataType": "String", "StringValue": value} for key, value in ATTRIBUTES.items()}


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, operation: str) -> Any:
        return lambda **kwargs: self.calls.append((operation, kwargs))


class Clients:
    endpoint = "http://127.0.0.1:4566"

    def __init__(self) -> None:
        self.recorders: dict[str, Recorder] = {}

    def get(self, service: str) -> Recorder:
        return self.recorders.setdefault(service, Recorder())


def unused(*_: Any) -> Any:
    raise AssertionError("no function is invoked here")


def test_a_dead_letter_topic_gets_the_error_attributes_as_a_dead_letter_queue_does() -> None:
    # GIVEN a function's failed event sent to its dead-letter topic, then to a dead-letter queue
    clients = Clients()
    destinations = Destinations(clients, unused, unused)  # type: ignore[arg-type]
    destinations.send("arn:aws:sns:us-east-1:123456789012:dead", "{}", ATTRIBUTES)
    destinations.send("arn:aws:sqs:us-east-1:123456789012:dead", "{}", ATTRIBUTES)
    # THEN both carry RequestID, ErrorCode and ErrorMessage as message attributes
    ((_, published),) = clients.recorders["sns"].calls
    ((_, sent),) = clients.recorders["sqs"].calls
    assert published["MessageAttributes"] == EXPECTED == sent["MessageAttributes"]
