"""The Lambda service of the local cloud: find a function by name or ARN and run it in its pool.

Pools start lazily: a function's first invocation is its cold start. `invoke` is synchronous
(RequestResponse); asynchronous (Event) invocations go through `AsyncInvoker`, which calls back here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from urllib.parse import unquote

from reelstack_tools.localcloud.functions import FunctionSpec
from reelstack_tools.localcloud.local_env import LOG
from reelstack_tools.localcloud.logs import FunctionLogs
from reelstack_tools.localcloud.naming import function_name
from reelstack_tools.localcloud.pool import CloudStopping, FunctionPool, InvokeResult

log = logging.getLogger(LOG)

DEFAULT_CONCURRENCY = 4

EnvironmentFactory = Callable[[FunctionSpec], dict[str, str]]


class FunctionNotFound(LookupError):
    pass


class LambdaRuntime:
    def __init__(
        self,
        specs: Mapping[str, FunctionSpec],
        environment: EnvironmentFactory,
        logs: FunctionLogs,
        default_concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self.specs = dict(specs)
        self._environment = environment
        self._logs = logs
        self._default_concurrency = default_concurrency
        self._pools: dict[str, FunctionPool] = {}
        self._lock = threading.Lock()
        self._stopped = False

    def find(self, name_or_arn: str) -> FunctionSpec:
        """Accept a name, a full or partial ARN, with an optional `:$LATEST`-style qualifier."""
        spec = self.specs.get(function_name(unquote(name_or_arn)))
        if spec is None:
            raise FunctionNotFound(name_or_arn)
        return spec

    def invoke(
        self, function: str, payload: str, *, wait_for_slot: bool = True, request_id: str | None = None
    ) -> InvokeResult:
        spec = self.find(function)
        return self._pool(spec).invoke(payload, wait_for_slot=wait_for_slot, request_id=request_id)

    def kill_worker(self, function: str) -> int | None:
        spec = self.find(function)
        with self._lock:
            pool = self._pools.get(spec.name)
        return pool.kill_one() if pool else None

    def worker_pids(self, busy_only: bool = False) -> dict[str, list[int]]:
        with self._lock:
            pools = dict(self._pools)
        return {name: pool.busy_pids() if busy_only else pool.pids() for name, pool in pools.items()}

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            pools = list(self._pools.values())
            self._pools.clear()
        for pool in pools:
            pool.stop()

    def _pool(self, spec: FunctionSpec) -> FunctionPool:
        with self._lock:
            if self._stopped:
                raise CloudStopping("the local cloud is stopping")
            pool = self._pools.get(spec.name)
            if pool is None:
                cap = spec.reserved_concurrency
                pool = FunctionPool(
                    spec,
                    self._environment(spec),
                    self._logs,
                    max_workers=self._default_concurrency if cap is None else cap,
                )
                self._pools[spec.name] = pool
            return pool
