"""The Lambda Invoke API (`POST /2015-03-31/functions/<name or arn>/invocations`) on the AWS endpoint.

Answers as Lambda does: 200 with the payload (and `X-Amz-Function-Error: Unhandled` when the function
failed), 202 for `Event`, 204 for `DryRun`, 404 `ResourceNotFoundException`, 413 for oversized
payloads, 429 when reserved concurrency is exhausted. moto's Step Functions engine calls this too.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterable
from urllib.parse import unquote

from reelstack_tools.localcloud.async_invoke import AsyncInvoker
from reelstack_tools.localcloud.naming import function_arn, function_name
from reelstack_tools.localcloud.pool import Throttled
from reelstack_tools.localcloud.runtime import FunctionNotFound, LambdaRuntime
from reelstack_tools.localcloud.wsgi import (
    Environ,
    PostRoute,
    StartResponse,
    header,
    json_response,
    read_body,
    respond,
)

PATH = re.compile(r"^/2015-03-31/functions/(?P<function>[^/]+)/invocations/?$")
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024
ASYNC_PAYLOAD_LIMIT = 1024 * 1024


def _error(start_response: StartResponse, status: int, error_type: str, message: str) -> list[bytes]:
    body = {"Type": "User", "Message": message, "message": message}
    return json_response(start_response, status, body, [("x-amzn-ErrorType", error_type)])


class LambdaApi(PostRoute):
    PATH = PATH

    def __init__(self, runtime: LambdaRuntime, async_invoker: AsyncInvoker) -> None:
        self._runtime = runtime
        self._async = async_invoker

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        match = self.route_match(environ)
        function = match.group("function")
        try:
            spec = self._runtime.find(function)
        except FunctionNotFound:
            message = f"Function not found: {function_arn(function_name(unquote(function)))}"
            return _error(start_response, 404, "ResourceNotFoundException", message)
        invocation_type = header(environ, "X-Amz-Invocation-Type") or "RequestResponse"
        body = read_body(environ)
        limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        if len(body) > limit:
            message = f"Request must be smaller than {limit} bytes for the InvokeFunction operation"
            return _error(start_response, 413, "RequestTooLargeException", message)
        payload = body.decode("utf-8", "replace") if body.strip() else "{}"
        try:
            json.loads(payload)
        except ValueError as error:
            message = f"Could not parse request body into json: {error}"
            return _error(start_response, 400, "InvalidRequestContentException", message)
        if invocation_type == "DryRun":
            return respond(start_response, 204, headers=[("X-Amzn-RequestId", str(uuid.uuid4()))])
        if invocation_type == "Event":
            request_id = self._async.submit(spec.name, payload)
            return respond(start_response, 202, headers=[("X-Amzn-RequestId", request_id)])
        if invocation_type != "RequestResponse":
            message = f"Invalid invocation type: {invocation_type}"
            return _error(start_response, 400, "InvalidParameterValueException", message)
        try:
            result = self._runtime.invoke(spec.name, payload, wait_for_slot=spec.reserved_concurrency is None)
        except Throttled:
            body_doc = {
                "Reason": "ReservedFunctionConcurrentInvocationLimitExceeded",
                "Type": "User",
                "message": "Rate Exceeded.",
            }
            return json_response(
                start_response, 429, body_doc, [("x-amzn-ErrorType", "TooManyRequestsException")]
            )
        headers = [
            ("Content-Type", "application/json"),
            ("X-Amz-Executed-Version", "$LATEST"),
            ("X-Amzn-RequestId", result.request_id),
        ]
        if result.function_error:
            headers.append(("X-Amz-Function-Error", result.function_error))
        return respond(start_response, 200, result.payload, headers)
