"""SageMaker runtime on the AWS endpoint: `POST /endpoints/<name>/invocations` runs the real inference
code of the endpoint's model.

Each `AWS::SageMaker::Endpoint` leads, through its EndpointConfig's first production variant, to an
`AWS::SageMaker::Model` whose `Metadata.LocalModelCode` names the directory holding `inference.py`
(and `Metadata.LocalModelDir`, if given, the directory passed to `model_fn`; else the code directory).
Models run in worker processes like functions (loaded once, 60 s invocation limit).
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from reelstack_tools.localcloud.functions import FunctionSpec
from reelstack_tools.localcloud.local_env import ACCOUNT_ID, arn
from reelstack_tools.localcloud.runtime import FunctionNotFound, LambdaRuntime
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import TemplateError
from reelstack_tools.localcloud.wsgi import (
    Environ,
    PostRoute,
    StartResponse,
    header,
    json_response,
    read_body,
    respond,
)

PATH = re.compile(r"^/endpoints/(?P<endpoint>[^/]+)/invocations/?$")
ADAPTER = "reelstack_tools.localcloud.sagemaker_adapter.handler"
INVOCATION_TIMEOUT = 60


@dataclass(frozen=True)
class ModelEndpoint:
    name: str
    variant: str
    spec: FunctionSpec


def _by_name(stack: Stack, resource_type: str, name: str) -> str:
    for resource in stack.resources(resource_type):
        if stack.physical_name(resource.logical_id) == name:
            return resource.logical_id
    raise TemplateError(f"no {resource_type} named {name}")


def endpoints_from_stack(stack: Stack) -> dict[str, ModelEndpoint]:
    endpoints: dict[str, ModelEndpoint] = {}
    for resource in stack.resources("AWS::SageMaker::Endpoint"):
        name = stack.physical_name(resource.logical_id)
        config_id = _by_name(
            stack,
            "AWS::SageMaker::EndpointConfig",
            str(stack.properties(resource.logical_id)["EndpointConfigName"]),
        )
        variant = (stack.properties(config_id).get("ProductionVariants") or [{}])[0]
        model_id = _by_name(stack, "AWS::SageMaker::Model", str(variant.get("ModelName")))
        model = stack.resource(model_id)
        code = model.metadata.get("LocalModelCode")
        if not code:
            raise TemplateError(f"{model_id}: Metadata.LocalModelCode must name the model's code directory")
        code_dir = (stack.template.directory / str(code)).resolve()
        model_dir = (stack.template.directory / str(model.metadata.get("LocalModelDir", code))).resolve()
        container = stack.properties(model_id).get("PrimaryContainer") or {}
        environment = {str(key): str(value) for key, value in (container.get("Environment") or {}).items()}
        environment["SM_MODEL_DIR"] = str(model_dir)
        spec = FunctionSpec(
            logical_id=model_id,
            name=f"sagemaker-{name}",
            code_dir=code_dir,
            handler=ADAPTER,
            timeout=INVOCATION_TIMEOUT,
            memory_mb=2048,
            environment=environment,
        )
        endpoints[name] = ModelEndpoint(
            name=name, variant=str(variant.get("VariantName", "AllTraffic")), spec=spec
        )
    return endpoints


def _validation_error(start_response: StartResponse, message: str) -> list[bytes]:
    return json_response(
        start_response,
        400,
        {"__type": "ValidationError", "message": message},
        [("x-amzn-ErrorType", "ValidationError")],
    )


Resolver = Callable[[str], ModelEndpoint]
DEPLOYED_RECHECK_S = 2.0  # how often a deployed endpoint's configuration is looked up again


class SageMakerRuntimeApi(PostRoute):
    """Template endpoints first; others are looked up as deployed ones (`resolve`), re-checked every few
    seconds so that an UpdateEndpoint takes effect."""

    PATH = PATH

    def __init__(
        self, endpoints: dict[str, ModelEndpoint], runtime: LambdaRuntime, resolve: Resolver | None = None
    ) -> None:
        self._endpoints = endpoints
        self._runtime = runtime
        self._resolve = resolve
        self._deployed: dict[str, tuple[float, ModelEndpoint]] = {}
        self._lock = threading.Lock()

    def _endpoint(self, name: str) -> ModelEndpoint | None:
        endpoint = self._endpoints.get(name)
        if endpoint is not None or self._resolve is None:
            return endpoint
        with self._lock:
            cached = self._deployed.get(name)
            if cached is not None and time.monotonic() - cached[0] < DEPLOYED_RECHECK_S:
                return cached[1]
            try:
                endpoint = self._resolve(name)
            except LookupError:
                self._deployed.pop(name, None)
                return None
            self._runtime.specs.setdefault(endpoint.spec.name, endpoint.spec)
            self._deployed[name] = (time.monotonic(), endpoint)
            return endpoint

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        match = self.route_match(environ)
        name = match.group("endpoint")
        endpoint = self._endpoint(name)
        if endpoint is None:
            return _validation_error(start_response, f"Endpoint {name} of account {ACCOUNT_ID} not found.")
        event = {
            "body": base64.b64encode(read_body(environ)).decode(),
            "content_type": header(environ, "Content-Type"),
            "accept": header(environ, "Accept"),
        }
        try:
            result = self._runtime.invoke(endpoint.spec.name, json.dumps(event))
        except FunctionNotFound:
            return _validation_error(start_response, f"Endpoint {name} of account {ACCOUNT_ID} not found.")
        answer: Any = result.json()
        if result.error_type:
            message = str(answer.get("errorMessage", "")) if isinstance(answer, dict) else ""
            error = {
                "__type": "ModelError",
                "ErrorCode": "MODEL_ERROR",
                "OriginalStatusCode": 500,
                "OriginalMessage": message,
                "message": f'Received server error (500) from primary with message "{message}".',
                "LogStreamArn": arn("logs", f"log-group:/aws/sagemaker/Endpoints/{name}"),
            }
            return json_response(start_response, 424, error, [("x-amzn-ErrorType", "ModelError")])
        body = base64.b64decode(answer["body"])
        headers = [
            ("Content-Type", answer["content_type"]),
            ("x-Amzn-Invoked-Production-Variant", endpoint.variant),
        ]
        return respond(start_response, 200, body, headers)
