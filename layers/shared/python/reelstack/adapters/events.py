"""Publishing domain events to EventBridge (the feed and notification work subscribes to them)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters.aws import client, error_code
from reelstack.errors import DependencyFailed

EVENT_SOURCE = "reelstack.videos"


class EventPublisher:
    def __init__(self, bus_name: str, events: Any = None, source: str = EVENT_SOURCE) -> None:
        self.bus_name = bus_name
        self._events = events
        self.source = source

    @property
    def events(self) -> Any:
        if self._events is None:
            self._events = client("events")
        return self._events

    def publish(self, detail_type: str, detail: dict[str, Any], resources: list[str] | None = None) -> None:
        entry = {
            "Source": self.source,
            "DetailType": detail_type,
            "Detail": json.dumps(detail, sort_keys=True),
            "EventBusName": self.bus_name,
            "Resources": resources or [],
        }
        try:
            response = self.events.put_events(Entries=[entry])
        except ClientError as exc:
            raise DependencyFailed(f"PutEvents failed: {error_code(exc) or exc}") from exc
        except BotoCoreError as exc:
            raise DependencyFailed(f"PutEvents failed: {exc}") from exc
        if response.get("FailedEntryCount"):
            failed = response["Entries"][0]
            raise DependencyFailed(f"PutEvents refused {detail_type}: {failed.get('ErrorCode')}")
