"""Waiting for the asynchronous parts of the platform (queues, merges, executions) in tests."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 60.0, interval: float = 0.2) -> T:
    """Call `predicate` until it returns something truthy or `timeout` passes; return its last value.

    The default suits delivery across the local cloud's processes (a poller, a worker's cold start, a
    table write) on a loaded 2-core CI machine; it only bounds how long a failing test waits."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)
