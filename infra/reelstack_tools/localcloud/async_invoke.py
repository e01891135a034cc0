"""Asynchronous (`Event`) invocations: queued, run in the background, retried like Lambda.

A failed event is retried `MaximumRetryAttempts` times (2 by default); Lambda waits about one and
then two minutes between tries, locally it waits one and then two seconds. When retries are exhausted
the event goes to the function's `EventInvokeConfig.DestinationConfig.OnFailure`, else to its
`DeadLetterQueue`, else it is logged. Successes go to `OnSuccess` when declared.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from reelstack_tools.localcloud.destinations import Destinations
from reelstack_tools.localcloud.functions import Destination, FunctionSpec
from reelstack_tools.localcloud.local_env import LOG
from reelstack_tools.localcloud.pool import CloudStopping, InvokeResult, Throttled, error_result
from reelstack_tools.localcloud.runtime import LambdaRuntime

log = logging.getLogger(LOG)

RETRY_DELAYS_SECONDS = (1.0, 2.0)


class AsyncInvoker:
    def __init__(self, runtime: LambdaRuntime, threads: int = 8) -> None:
        self._runtime = runtime
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="lambda-async")
        self._stopping = threading.Event()
        self.destinations: Destinations | None = None

    def submit(self, function: str, payload: str) -> str:
        """Queue one event; returns its request id. Raises FunctionNotFound at once, like the API."""
        spec = self._runtime.find(function)
        request_id = str(uuid.uuid4())
        self._executor.submit(self._run, spec, payload, request_id, time.monotonic())
        return request_id

    def stop(self) -> None:
        self._stopping.set()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _run(self, spec: FunctionSpec, payload: str, request_id: str, queued_at: float) -> None:
        attempts = 0
        result: InvokeResult | None = None
        while not self._stopping.is_set():
            attempts += 1
            try:
                result = self._runtime.invoke(spec.name, payload, request_id=request_id)
            except Throttled:
                result = None
            except CloudStopping:
                return
            except Exception as error:  # the local Lambda service failed (e.g. no worker could start)
                log.exception("%s: event %s could not be invoked", spec.name, request_id)
                result = error_result(request_id, "ServiceException", f"{type(error).__name__}: {error}")
            if result is not None and result.error_type is None:
                if spec.on_success:
                    self._deliver(spec.on_success, self._record(spec, payload, result, attempts, "Success"))
                return
            too_old = time.monotonic() - queued_at > spec.max_event_age_seconds
            if attempts > spec.max_retry_attempts or too_old:
                break
            delay = RETRY_DELAYS_SECONDS[min(attempts - 1, len(RETRY_DELAYS_SECONDS) - 1)]
            if self._stopping.wait(delay):
                return
        if self._stopping.is_set():
            return
        self._fail(spec, payload, result, attempts, request_id)

    def _fail(
        self, spec: FunctionSpec, payload: str, result: InvokeResult | None, attempts: int, request_id: str
    ) -> None:
        error = (
            result.json() if result is not None else {"errorType": "Throttled", "errorMessage": "throttled"}
        )
        if spec.on_failure:
            self._deliver(spec.on_failure, self._record(spec, payload, result, attempts, "RetriesExhausted"))
        elif spec.dead_letter:
            attributes = {
                "RequestID": request_id,
                "ErrorCode": "200",
                "ErrorMessage": str(error.get("errorMessage", ""))[:1024],
            }
            self._deliver(spec.dead_letter, payload, attributes)
        else:
            log.warning(
                "%s: event %s failed after %d attempts and has no destination: %s",
                spec.name,
                request_id,
                attempts,
                error.get("errorMessage"),
            )

    def _deliver(self, destination: Destination, body: str, attributes: dict[str, str] | None = None) -> None:
        if self.destinations is None:
            log.warning("no destination service; dropping a message for %s", destination.arn)
            return
        try:
            self.destinations.send(destination.arn, body, attributes)
        except Exception:
            log.exception("could not deliver to %s", destination.arn)

    @staticmethod
    def _record(
        spec: FunctionSpec, payload: str, result: InvokeResult | None, attempts: int, condition: str
    ) -> str:
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
        if result is not None and result.function_error:
            response["functionError"] = result.function_error
        record = {
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "requestContext": {
                "requestId": result.request_id if result else "",
                "functionArn": f"{spec.arn}:$LATEST",
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "requestPayload": json.loads(payload),
            "responseContext": response,
            "responsePayload": result.json() if result else None,
        }
        if condition != "Success" and spec.on_failure and spec.on_failure.kind == "EventBridge":
            detail_type = "Lambda Function Invocation Result - Failure"
            return json.dumps({"source": "lambda", "detail-type": detail_type, "detail": record})
        if condition == "Success" and spec.on_success and spec.on_success.kind == "EventBridge":
            detail_type = "Lambda Function Invocation Result - Success"
            return json.dumps({"source": "lambda", "detail-type": detail_type, "detail": record})
        return json.dumps(record)
