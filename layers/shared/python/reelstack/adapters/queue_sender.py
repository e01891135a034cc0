"""Sending JSON messages to one SQS queue (the likes queue, and any other fire-and-forget producer)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters import aws
from reelstack.errors import DependencyFailed

MAX_MESSAGE_BYTES = 256 * 1024  # SQS's limit for one message
BATCH = 10  # SendMessageBatch's limit


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

    def send_batch(self, messages: Sequence[dict[str, Any]]) -> None:
        """All `messages`, ten per SendMessageBatch; entries SQS refuses are tried once more, then
        DependencyFailed (some may be queued already: consumers de-duplicate)."""
        bodies = [json.dumps(message, separators=(",", ":"), sort_keys=True) for message in messages]
        for start in range(0, len(bodies), BATCH):
            pending = {str(index): body for index, body in enumerate(bodies[start : start + BATCH])}
            for _ in range(2):
                entries = [{"Id": key, "MessageBody": body} for key, body in pending.items()]
                try:
                    answer = self.client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
                except (ClientError, BotoCoreError) as exc:
                    raise DependencyFailed(
                        f"queueing messages failed: {exc}", code="queue_unavailable"
                    ) from exc
                pending = {item["Id"]: pending[item["Id"]] for item in answer.get("Failed") or []}
                if not pending:
                    break
            if pending:
                raise DependencyFailed(f"SQS refused {len(pending)} messages", code="queue_unavailable")

    def send_raw(self, body: str, attributes: dict[str, str] | None = None) -> None:
        """One message with `body` as given (a dead letter keeps the bytes it came with) and string
        attributes (e.g. why it is dead)."""
        extra = {
            name: {"DataType": "String", "StringValue": value[:1000]}
            for name, value in (attributes or {}).items()
        }
        try:
            self.client.send_message(
                QueueUrl=self.queue_url, MessageBody=body or "(empty)", MessageAttributes=extra
            )
        except (ClientError, BotoCoreError) as exc:
            raise DependencyFailed(f"queueing a message failed: {exc}", code="queue_unavailable") from exc
