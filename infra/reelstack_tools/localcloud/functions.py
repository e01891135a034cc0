"""What a function is, read from the template: code, handler, limits, layers, environment, destinations.

`function_specs(stack, ...)` returns one `FunctionSpec` per `AWS::Serverless::Function` (code from a
local `CodeUri`, `InlineCode`, or a container image's Docker context) and per `AWS::Lambda::Function`
with inline `Code.ZipFile`. `sandbox_environment` builds the variables its worker process gets.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelstack_tools.localcloud.intrinsics import to_text
from reelstack_tools.localcloud.local_env import CREDENTIALS, LOG, inherited_environment
from reelstack_tools.localcloud.naming import function_arn
from reelstack_tools.localcloud.stack import Stack
from reelstack_tools.localcloud.template import Resource, TemplateError

log = logging.getLogger(LOG)

LOCAL_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"
DEFAULT_TIMEOUT = 3
DEFAULT_MEMORY = 128
LAYER_TYPES = ("AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion")


@dataclass(frozen=True)
class Destination:
    kind: str  # SQS | SNS | Lambda | EventBridge
    arn: str


@dataclass(frozen=True)
class FunctionSpec:
    logical_id: str
    name: str
    code_dir: Path
    handler: str
    runtime: str = "python3.11"
    timeout: int = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY
    environment: Mapping[str, str] = field(default_factory=dict)
    python_path: tuple[Path, ...] = ()
    reserved_concurrency: int | None = None
    dead_letter: Destination | None = None
    on_failure: Destination | None = None
    on_success: Destination | None = None
    max_retry_attempts: int = 2
    max_event_age_seconds: int = 6 * 3600

    @property
    def arn(self) -> str:
        return function_arn(self.name)


def function_specs(stack: Stack, scratch_dir: Path) -> dict[str, FunctionSpec]:
    """Every runnable function in the template, by physical name."""
    specs: dict[str, FunctionSpec] = {}
    for resource in stack.resources("AWS::Serverless::Function", "AWS::Lambda::Function"):
        spec = _function_spec(stack, resource, scratch_dir)
        specs[spec.name] = spec
    return specs


# moto is one Python process: a request can wait seconds behind a CPU-bound one (a large
# CompleteMultipartUpload, a busy machine running ffmpeg), which AWS's services never make a caller do.
# A function that declares a tight SDK read timeout (the API's, to fail fast in AWS) gets at least this
# locally, so the local cloud's own slowness is not reported as a dependency failure (503).
LOCAL_SDK_READ_TIMEOUT_FLOOR_SECONDS = 20.0


def sandbox_environment(
    spec: FunctionSpec,
    *,
    aws_endpoint: str,
    redis_url: str,
    extra_python_path: str,
    search_url: str | None = None,
) -> dict[str, str]:
    """The environment of the function's worker process, as Lambda would set it plus the local endpoints
    (REDIS_URL and SEARCH_ENDPOINT, where the template declares them, point at the local nodes)."""
    env = inherited_environment()
    env.update({key: value for key, value in spec.environment.items()})
    if "REDIS_URL" in spec.environment:
        env["REDIS_URL"] = redis_url
    if "SEARCH_ENDPOINT" in spec.environment and search_url is not None:
        env["SEARCH_ENDPOINT"] = search_url
    declared_read_timeout = spec.environment.get("SDK_READ_TIMEOUT_SECONDS")
    if declared_read_timeout is not None:
        floor = LOCAL_SDK_READ_TIMEOUT_FLOOR_SECONDS
        env["SDK_READ_TIMEOUT_SECONDS"] = str(max(float(declared_read_timeout), floor))
    env.setdefault("POWERTOOLS_SERVICE_NAME", spec.logical_id)
    env.update(CREDENTIALS)
    env.update(
        {
            "AWS_ENDPOINT_URL": aws_endpoint,
            "AWS_LAMBDA_FUNCTION_NAME": spec.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(spec.timeout),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "_HANDLER": spec.handler,
            "TZ": ":UTC",
            "POWERTOOLS_TRACE_DISABLED": "true",
            "POWERTOOLS_DEV": "false",
            "REELSTACK_LOCAL": "1",
            "PYTHONPATH": extra_python_path,
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def _function_spec(stack: Stack, resource: Resource, scratch_dir: Path) -> FunctionSpec:
    props = stack.properties(resource.logical_id)
    runtime = str(props.get("Runtime", LOCAL_RUNTIME))
    if props.get("PackageType") != "Image" and runtime != LOCAL_RUNTIME:
        log.warning("%s declares %s; it runs locally on %s", resource.logical_id, runtime, LOCAL_RUNTIME)
    name = stack.physical_name(resource.logical_id)
    code_dir, handler = _code(stack, resource, props, scratch_dir / name)
    python_path = tuple(_layer_dirs(stack, resource)) + tuple(
        (stack.template.directory / str(item)).resolve()
        for item in resource.metadata.get("LocalPythonPath", [])
    )
    variables = (props.get("Environment") or {}).get("Variables") or {}
    invoke_config = props.get("EventInvokeConfig") or {}
    destinations = invoke_config.get("DestinationConfig") or {}
    dead_letter = props.get("DeadLetterQueue") or props.get("DeadLetterConfig") or {}
    dead_letter_arn = dead_letter.get("TargetArn")
    return FunctionSpec(
        logical_id=resource.logical_id,
        name=name,
        code_dir=code_dir,
        handler=handler,
        runtime=runtime,
        timeout=int(props.get("Timeout", DEFAULT_TIMEOUT)),
        memory_mb=int(props.get("MemorySize", DEFAULT_MEMORY)),
        environment={str(key): to_text(value) for key, value in variables.items()},
        python_path=python_path,
        reserved_concurrency=_optional_int(props.get("ReservedConcurrentExecutions")),
        dead_letter=_destination(dead_letter.get("Type"), dead_letter_arn) if dead_letter_arn else None,
        on_failure=_configured_destination(destinations.get("OnFailure")),
        on_success=_configured_destination(destinations.get("OnSuccess")),
        max_retry_attempts=int(invoke_config.get("MaximumRetryAttempts", 2)),
        max_event_age_seconds=int(invoke_config.get("MaximumEventAgeInSeconds", 6 * 3600)),
    )


def _code(stack: Stack, resource: Resource, props: Mapping[str, Any], scratch: Path) -> tuple[Path, str]:
    base = stack.template.directory
    if props.get("PackageType") == "Image":
        context = resource.metadata.get("DockerContext")
        if not context:
            raise TemplateError(
                f"{resource.logical_id}: an Image function needs Metadata.DockerContext locally"
            )
        code_dir = (base / str(context)).resolve()
        command = (props.get("ImageConfig") or {}).get("Command") or []
        handler = (
            str(command[0])
            if command
            else _dockerfile_cmd(code_dir / resource.metadata.get("Dockerfile", "Dockerfile"))
        )
        return code_dir, handler
    handler = str(props.get("Handler", ""))
    if not handler or "." not in handler:
        raise TemplateError(f"{resource.logical_id}: Handler must look like module.function, got {handler!r}")
    inline = props.get("InlineCode") or (props.get("Code") or {}).get("ZipFile")
    if inline:
        scratch.mkdir(parents=True, exist_ok=True)
        (scratch / f"{handler.rsplit('.', 1)[0].replace('.', '/')}.py").write_text(
            str(inline), encoding="utf-8"
        )
        return scratch.resolve(), handler
    code_uri = props.get("CodeUri")
    if not isinstance(code_uri, str):
        raise TemplateError(
            f"{resource.logical_id}: CodeUri must be a local directory to run locally, got {code_uri!r}"
        )
    code_dir = (base / code_uri).resolve()
    if not code_dir.is_dir():
        raise TemplateError(f"{resource.logical_id}: CodeUri {code_uri} is not a directory")
    return code_dir, handler


def _dockerfile_cmd(dockerfile: Path) -> str:
    if dockerfile.is_file():
        match = re.search(r'^\s*CMD\s*\[\s*"([^"]+)"', dockerfile.read_text(encoding="utf-8"), re.MULTILINE)
        if match:
            return match.group(1)
    raise TemplateError(f'no handler: set ImageConfig.Command or a CMD ["module.handler"] in {dockerfile}')


def _layer_dirs(stack: Stack, resource: Resource) -> list[Path]:
    dirs: list[Path] = []
    layer_ids = {stack.ref(layer.logical_id): layer for layer in stack.resources(*LAYER_TYPES)}
    for layer_arn in stack.properties(resource.logical_id).get("Layers") or []:
        layer = layer_ids.get(layer_arn)
        if layer is None:
            continue  # a published layer (e.g. Powertools); its packages come from the local venv
        content = stack.properties(layer.logical_id).get("ContentUri")
        if not isinstance(content, str):
            raise TemplateError(f"{layer.logical_id}: ContentUri must be a local directory to run locally")
        root = (stack.template.directory / content).resolve()
        dirs.append(root / "python" if (root / "python").is_dir() else root)
    return dirs


def _destination(kind: Any, target: Any) -> Destination:
    return Destination(kind=str(kind or target.split(":")[2].upper()), arn=str(target))


def _configured_destination(config: Any) -> Destination | None:
    if not isinstance(config, dict) or not config.get("Destination"):
        return None
    target = str(config["Destination"])
    service = target.split(":")[2] if target.startswith("arn:") else ""
    kinds = {"sqs": "SQS", "sns": "SNS", "lambda": "Lambda", "events": "EventBridge", "s3": "S3"}
    return Destination(kind=str(config.get("Type") or kinds.get(service, service)), arn=target)


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)
