"""Sending JSON messages to one SQS queue (the likes queue, and any other fire-and-forget producer)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters import aws
from reelstack.errors import DependencyFailed

MAX_MESSAGE_BYTES = 256 * 1024  # SQS's limit for one message


class QueueSender:
    """`send(message)` puts one JSON message on `queue_url`; the sqs client is injected or built lazily."""

    def __init__(self, queue_url: str, client: Any = None) -> None:
        if not queue_url:
            raise ValueError("a queue sender needs a queue URL")
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = aws.client("sqs")
        return self._client

    def send(self, message: dict[str, Any]) -> str:
        """The SQS message id; DependencyFailed (retryable) when SQS refuses or cannot be reached."""
        body = json.dumps(message, separators=(",", ":"), sort_keys=True)
        if len(body.encode()) > MAX_MESSAGE_BYTES:
            raise ValueError(f"a message of {len(body.encode())} bytes exceeds SQS's {MAX_MESSAGE_BYTES}")
        try:
            response = self.client.send_message(QueueUrl=self.queue_url, MessageBody=body)
        except (ClientError, BotoCoreError) as exc:
            raise DependencyFailed(f"queueing a message failed: {exc}", code="queue_unavailable") from exc
        return str(response.get("MessageId", ""))
