"""Invoking other Lambda functions asynchronously (Lambda retries and routes failures to the destination)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters.aws import client, error_code
from reelstack.errors import DependencyFailed


class AsyncInvoker:
    def __init__(self, function_name: str, lambda_client: Any = None) -> None:
        self.function_name = function_name
        self._lambda = lambda_client

    @property
    def lambda_client(self) -> Any:
        if self._lambda is None:
            self._lambda = client("lambda")
        return self._lambda

    def invoke(self, payload: dict[str, Any]) -> None:
        try:
            self.lambda_client.invoke(
                FunctionName=self.function_name, InvocationType="Event", Payload=json.dumps(payload).encode()
            )
        except ClientError as exc:
            raise DependencyFailed(f"invoking {self.function_name} failed: {error_code(exc) or exc}") from exc
        except BotoCoreError as exc:
            raise DependencyFailed(f"invoking {self.function_name} failed: {exc}") from exc
