"""One Task state of an ASL file, run in process the way Step Functions runs it: each attempt gets a new
task token, its Parameters are resolved against the state's input and the context object (`$.a.b`,
`$$.Task.Token`), its integration is called, and an error is retried as the state's Retry says (the
first retrier whose ErrorEquals names it, up to its MaxAttempts; no waiting between attempts) or caught.

Integrations: `arn:aws:states:::aws-sdk:<service>:<action>` (Parameters in the API's PascalCase, sent
through the given boto3 client; an error is `<Service>.<error code>`, as Step Functions names it, or
`States.TaskFailed` when no service answered) and `arn:aws:states:::lambda:invoke` (FunctionName names a
local handler; an error is the exception's class name, Lambda's errorType), either with
`.waitForTaskToken`: then a successful call leaves the Task waiting for its token.

For tests of what one Task does to the services it calls when an attempt fails (moto's Step Functions
engine cannot reach moto's Batch, nor a handler in this process).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from reelstack_tools.localcloud.provision_workflows import substitute

WAIT_SUFFIX = ".waitForTaskToken"
SDK_RESOURCE = re.compile(r"arn:aws:states:::aws-sdk:(?P<service>[a-z0-9]+):(?P<action>[A-Za-z0-9]+)")
LAMBDA_RESOURCE = "arn:aws:states:::lambda:invoke"


@dataclass
class Attempt:
    token: str
    error: str | None = None


@dataclass
class TaskRun:
    """How the Task ended: `waiting` (on the last attempt's token), `succeeded` (with `result`) or `caught`
    (`error`, which its Catch handles), after `attempts`."""

    outcome: str
    attempts: list[Attempt] = field(default_factory=list)
    result: Any = None
    error: str | None = None

    @property
    def token(self) -> str:
        return self.attempts[-1].token


class LambdaContext:
    """What Powertools reads from a Lambda context."""

    function_name = "local-function"
    function_version = "$LATEST"
    memory_limit_in_mb = 128
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:local-function"
    aws_request_id = "00000000-0000-0000-0000-000000000000"


def load_state(asl_path: Path, state: str, substitutions: Mapping[str, str]) -> dict[str, Any]:
    """A top-level state of the ASL file, with its DefinitionSubstitutions applied."""
    document = json.loads(substitute(asl_path.read_text(encoding="utf-8"), substitutions))
    return dict(document["States"][state])


def run_task(
    state: Mapping[str, Any],
    document: Mapping[str, Any],
    *,
    clients: Mapping[str, Any] | None = None,
    functions: Mapping[str, Callable[[dict[str, Any], Any], Any]] | None = None,
    execution_id: str = "arn:aws:states:us-east-1:123456789012:execution:local:run",
) -> TaskRun:
    assert state["Type"] == "Task", state
    resource = str(state["Resource"])
    waits = resource.endswith(WAIT_SUFFIX)
    call = _integration(resource.removesuffix(WAIT_SUFFIX), clients or {}, functions or {})
    retried = [0] * len(state.get("Retry", []))
    run = TaskRun("running")
    while True:
        token = f"token-{len(run.attempts) + 1}-of-{execution_id.rsplit(':', 1)[-1]}"
        attempt = Attempt(token)
        run.attempts.append(attempt)
        context = {"Task": {"Token": token}, "Execution": {"Id": execution_id}}
        parameters = _resolve(state.get("Parameters", {}), document, context)
        try:
            result = call(parameters)
        except TaskError as exc:
            attempt.error = exc.error
            index = _retrier(state.get("Retry", []), exc.error, retried)
            if index is None:
                run.outcome, run.error = "caught", exc.error
                return run
            retried[index] += 1
            continue
        if waits:
            run.outcome = "waiting"
        else:
            run.outcome, run.result = "succeeded", result
        return run


class TaskError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _integration(
    resource: str, clients: Mapping[str, Any], functions: Mapping[str, Callable[[dict[str, Any], Any], Any]]
) -> Callable[[Any], Any]:
    sdk = SDK_RESOURCE.fullmatch(resource)
    if sdk:
        service, action = sdk["service"], sdk["action"]
        operation = re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower()

        def call_sdk(parameters: Any) -> Any:
            try:
                return getattr(clients[service], operation)(**_camel_keys(parameters))
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                raise TaskError(f"{service.capitalize()}.{code}") from exc
            except Exception as exc:
                raise TaskError("States.TaskFailed") from exc

        return call_sdk
    if resource == LAMBDA_RESOURCE:

        def invoke(parameters: Any) -> Any:
            handler = functions[parameters["FunctionName"]]
            try:
                return {"Payload": handler(parameters["Payload"], LambdaContext())}
            except Exception as exc:
                raise TaskError(type(exc).__name__) from exc

        return invoke
    raise AssertionError(f"no local integration for {resource}")


def _retrier(retriers: list[dict[str, Any]], error: str, retried: list[int]) -> int | None:
    for index, retrier in enumerate(retriers):
        names = retrier["ErrorEquals"]
        if (
            error in names
            or "States.ALL" in names
            or ("States.TaskFailed" in names and error != "States.Timeout")
        ):
            return index if retried[index] < retrier.get("MaxAttempts", 3) else None
    return None


def _resolve(template: Any, document: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    if isinstance(template, list):
        return [_resolve(item, document, context) for item in template]
    if not isinstance(template, dict):
        return template
    resolved: dict[str, Any] = {}
    for key, value in template.items():
        if key.endswith(".$"):
            resolved[key[:-2]] = _path(str(value), document, context)
        else:
            resolved[key] = _resolve(value, document, context)
    return resolved


def _path(path: str, document: Mapping[str, Any], context: Mapping[str, Any]) -> Any:
    value: Any = context if path.startswith("$$") else document
    for part in path.lstrip("$").split("."):
        if part:
            value = value[part]
    return value


def _camel_keys(value: Any) -> Any:
    """AWS SDK integration parameters (PascalCase) as boto3 takes them (the API's camelCase)."""
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _camel_keys(item) for key, item in value.items()}
    return value
