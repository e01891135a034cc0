"""Asynchronous (Event) invocations against a stand-in for the Lambda runtime (no sockets)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from reelstack_tools.localcloud import async_invoke
from reelstack_tools.localcloud.async_invoke import AsyncInvoker
from reelstack_tools.localcloud.functions import FunctionSpec
from reelstack_tools.localcloud.pool import InvokeResult

SPEC = FunctionSpec(logical_id="Worker", name="Worker", code_dir=Path("."), handler="app.handler")


class FlakyRuntime:
    """Fails with an OSError (as when no worker process can be started), then works."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.succeeded = threading.Event()

    def find(self, name: str) -> FunctionSpec:
        return SPEC

    def invoke(self, function: str, payload: str, **_: Any) -> InvokeResult:
        self.calls += 1
        if self.calls <= self.failures:
            raise OSError(24, "Too many open files")
        self.succeeded.set()
        return InvokeResult(b"null", "r")


def test_an_event_the_local_service_failed_to_run_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(async_invoke, "RETRY_DELAYS_SECONDS", (0.01, 0.01))
    # GIVEN a runtime that cannot start a worker for the first attempt
    runtime = FlakyRuntime(failures=1)
    invoker = AsyncInvoker(runtime)  # type: ignore[arg-type]
    try:
        # WHEN an event is submitted
        invoker.submit("Worker", "{}")
        # THEN the failure counts as a failed attempt and the event is retried (not lost in a future)
        assert runtime.succeeded.wait(5)
        assert runtime.calls == 2
    finally:
        invoker.stop()
