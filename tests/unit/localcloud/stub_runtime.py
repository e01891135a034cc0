"""A stand-in for the Lambda runtime in unit tests (no worker processes, no sockets)."""

from __future__ import annotations

from typing import Any

from reelstack_tools.localcloud.pool import InvokeResult


class StubRuntime:
    """Answers every invocation with `outcome`, or raises it."""

    def __init__(self, outcome: InvokeResult | Exception) -> None:
        self.outcome = outcome

    def invoke(self, function: str, payload: str, **_: Any) -> InvokeResult:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome
