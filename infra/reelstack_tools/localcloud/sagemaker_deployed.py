"""Endpoints deployed at run time (CreateModel / CreateEndpointConfig / CreateEndpoint, answered by
moto, e.g. by `reelstack rank deploy` through the sagemaker SDK), made runnable by the local runtime.

As a SageMaker framework container does: the model's `ModelDataUrl` (`model.tar.gz`) is unpacked as
the model directory; the inference code is `SAGEMAKER_PROGRAM` from `SAGEMAKER_SUBMIT_DIRECTORY`
(an `s3://.../sourcedir.tar.gz` the SDK uploaded) or, for a repacked model, from the archive's `code/`
folder. Each (endpoint, endpoint configuration) is unpacked once under the state folder; an
UpdateEndpoint (answered here: moto has none) to a new configuration gets a fresh worker.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from reelstack_tools.localcloud.clients import Clients
from reelstack_tools.localcloud.functions import FunctionSpec
from reelstack_tools.localcloud.local_env import ACCOUNT_ID, REGION
from reelstack_tools.localcloud.wsgi import Environ, JsonTargetEdge, StartResponse, json_response

_S3_URI = re.compile(r"^s3://(?P<bucket>[^/]+)/(?P<key>.+)$")
ADAPTER = "reelstack_tools.localcloud.sagemaker_adapter.handler"
INVOCATION_TIMEOUT = 60


class NotDeployed(LookupError):
    """moto knows no such endpoint (or it has no model to run)."""


def _unpack(clients: Clients, uri: str, target: Path) -> Path:
    match = _S3_URI.match(uri)
    if match is None:
        raise NotDeployed(f"{uri} is not an s3:// URI")
    target.mkdir(parents=True, exist_ok=True)
    archive = target.with_suffix(".tar.gz")
    clients.get("s3").download_file(match.group("bucket"), match.group("key"), str(archive))
    with tarfile.open(archive, "r:gz") as packed:
        packed.extractall(target, filter="data")
    archive.unlink()
    return target


def deployed_model(clients: Clients, endpoint: str, state_dir: Path) -> tuple[str, FunctionSpec]:
    """-> (the production variant's name, a spec that runs the endpoint's model in a worker)."""
    client = clients.get("sagemaker")
    try:
        described: dict[str, Any] = client.describe_endpoint(EndpointName=endpoint)
    except client.exceptions.ClientError as error:
        raise NotDeployed(endpoint) from error
    config_name = str(described["EndpointConfigName"])
    config = client.describe_endpoint_config(EndpointConfigName=config_name)
    variant = (config.get("ProductionVariants") or [{}])[0]
    model = client.describe_model(ModelName=str(variant.get("ModelName")))
    container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    environment = {str(key): str(value) for key, value in (container.get("Environment") or {}).items()}
    data_url = container.get("ModelDataUrl")
    if not data_url:
        raise NotDeployed(f"{endpoint}: its model has no ModelDataUrl")
    root = state_dir / "sagemaker" / endpoint / config_name
    name = f"sagemaker-{endpoint}-{config_name}"
    model_dir = root / "model"
    if not model_dir.is_dir():
        _unpack(clients, str(data_url), model_dir)
    submit = environment.get("SAGEMAKER_SUBMIT_DIRECTORY", "")
    if submit.startswith("s3://"):
        code_dir = root / "code"
        if not code_dir.is_dir():
            _unpack(clients, submit, code_dir)
    else:
        code_dir = model_dir / "code" if (model_dir / "code").is_dir() else model_dir
    program = environment.get("SAGEMAKER_PROGRAM", "inference.py")
    environment.update({"SM_MODEL_DIR": str(model_dir), "SM_INFERENCE_MODULE": program.removesuffix(".py")})
    spec = FunctionSpec(
        logical_id=name,
        name=name,
        code_dir=code_dir,
        handler=ADAPTER,
        timeout=INVOCATION_TIMEOUT,
        memory_mb=2048,
        environment=environment,
    )
    return str(variant.get("VariantName", "AllTraffic")), spec


class UpdateEndpointEdge(JsonTargetEdge):
    """`UpdateEndpoint`, which moto 5.2 lacks: the endpoint moves to another endpoint configuration at
    once (SageMaker swaps the fleets without downtime; here the next invocation runs the new model)."""

    TARGET = "SageMaker.UpdateEndpoint"

    def handle(
        self, request: dict[str, Any], environ: Environ, start_response: StartResponse
    ) -> Iterable[bytes]:
        from moto.core.utils import utcnow
        from moto.sagemaker.models import sagemaker_backends

        backend = sagemaker_backends[ACCOUNT_ID][REGION]
        name, config_name = str(request.get("EndpointName")), str(request.get("EndpointConfigName"))
        endpoint = backend.endpoints.get(name)
        if endpoint is None:
            return _validation(start_response, f"Could not find endpoint {name}.")
        try:
            config = backend.describe_endpoint_config(config_name)
        except KeyError:
            return _validation(start_response, f"Could not find endpoint configuration {config_name}.")
        endpoint.endpoint_config_name = config_name
        endpoint.production_variants = endpoint._process_production_variants(config["ProductionVariants"])
        endpoint.endpoint_status = "InService"
        endpoint.last_modified_time = utcnow()
        return json_response(start_response, 200, {"EndpointArn": endpoint.arn})


def _validation(start_response: StartResponse, message: str) -> list[bytes]:
    return json_response(
        start_response,
        400,
        {"__type": "ValidationException", "message": message},
        [("x-amzn-ErrorType", "ValidationException")],
    )
