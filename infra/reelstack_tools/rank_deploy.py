"""`reelstack rank deploy`: the ranker's artifact behind a SageMaker endpoint, through the sagemaker SDK.

The model is served by SageMaker's scikit-learn framework container (it brings numpy, all the
inference code needs; `infra/ranker` is uploaded as the code, `inference.py` its entry point) on
**serverless inference**: the feed calls the ranker in bursts that follow the app's traffic, one
request scores a whole page of candidates in a few milliseconds, and a serverless endpoint costs
nothing between bursts and scales without capacity planning; its cold start (seconds, on the first
call after idling) is covered by the feed's ranking time budget and fallback order. A real-time
endpoint on instances is the choice once traffic is steady enough to keep one busy (say why, flip
`--instance-type`).

Deploying creates a model and an endpoint configuration per artifact version; an existing endpoint
is updated in place (SageMaker swaps the configurations without downtime), a new one is created. The
same command deploys to the local cloud (its endpoint, where InvokeEndpoint runs the same code and
artifact) or to AWS (the caller's credentials).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RANKER_DIR = Path(__file__).resolve().parents[1] / "ranker"
FRAMEWORK_VERSION = "1.2-1"  # SageMaker's scikit-learn container (Python 3.9, numpy 1.2x)
MODEL_PREFIX = "models/ranker/"
# What the endpoint runs: numpy only. The training files (JAX, and their requirements.txt, which the
# container would pip-install at every cold start) stay out of the served code.
SERVING_FILES = ("inference.py", "ranker_features.py", "ranker_model.py")


def serving_code(source_dir: Path, target: Path) -> Path:
    """Copy the serving files of `source_dir` (all its .py files if it is not the ranker's folder)."""
    import shutil

    names = (
        SERVING_FILES
        if source_dir.resolve() == RANKER_DIR
        else tuple(p.name for p in source_dir.glob("*.py"))
    )
    target.mkdir(parents=True, exist_ok=True)
    for name in names:
        shutil.copy2(source_dir / name, target / name)
    return target


@dataclass(frozen=True)
class Deployment:
    endpoint: str
    model_name: str
    model_data: str
    updated: bool  # True: an existing endpoint was moved to this model
    seconds: float


# The SDK reports each call to an AWS telemetry bucket unless told not to; its request has no
# timeout, so on a closed network (this machine, a locked-down CI) every deploy waited ~30 s on it.
SDK_CONFIG = {"SchemaVersion": "1.0", "SageMaker": {"PythonSDK": {"Modules": {"TelemetryOptOut": True}}}}


def _session(bucket: str, region: str) -> Any:
    import boto3
    import sagemaker

    return sagemaker.Session(
        boto_session=boto3.Session(region_name=region), default_bucket=bucket, sagemaker_config=SDK_CONFIG
    )


def _endpoint_exists(session: Any, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        session.sagemaker_client.describe_endpoint(EndpointName=name)
    except ClientError:
        return False
    return True


def deploy(
    artifact: str,
    *,
    endpoint: str,
    role: str,
    bucket: str,
    region: str,
    version: str | None = None,
    memory_mb: int = 2048,
    max_concurrency: int = 20,
    instance_type: str | None = None,
    source_dir: Path = RANKER_DIR,
    poll_s: int = 15,
) -> Deployment:
    """`artifact`: a local model.tar.gz (uploaded under models/ranker/<version>/) or an s3:// URI.
    Returns once the endpoint is InService (raises if the deployment failed)."""
    from sagemaker.serverless import ServerlessInferenceConfig
    from sagemaker.sklearn.model import SKLearnModel

    started = time.monotonic()
    version = version or time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    session = _session(bucket, region)
    model_data = artifact
    if not artifact.startswith("s3://"):
        key = f"{MODEL_PREFIX}{version}/model.tar.gz"
        session.boto_session.client("s3", endpoint_url=os.environ.get("AWS_ENDPOINT_URL")).upload_file(
            artifact, bucket, key
        )
        model_data = f"s3://{bucket}/{key}"
    name = f"reelstack-ranker-{version}"
    import tempfile

    code = serving_code(source_dir, Path(tempfile.mkdtemp(prefix="ranker-code-")))
    model = SKLearnModel(
        model_data=model_data,
        role=role,
        entry_point="inference.py",
        source_dir=str(code),
        framework_version=FRAMEWORK_VERSION,
        py_version="py3",
        code_location=f"s3://{bucket}/{MODEL_PREFIX}{version}/code",
        name=name,
        sagemaker_session=session,
    )
    serverless = None
    if not instance_type:
        serverless = ServerlessInferenceConfig(memory_size_in_mb=memory_mb, max_concurrency=max_concurrency)
    model.create(instance_type=instance_type, serverless_inference_config=serverless)
    config = session.create_endpoint_config(
        name=name,
        model_name=name,
        initial_instance_count=1 if instance_type else None,
        instance_type=instance_type,
        serverless_inference_config_dict=serverless._to_request_dict() if serverless else None,
    )
    exists = _endpoint_exists(session, endpoint)
    # Without waiting inside the SDK (it sleeps 30 s before its first look, and an update waits
    # whatever it is told): this one looks every `poll_s`.
    if exists:
        session.update_endpoint(endpoint, config, wait=False)
    else:
        session.create_endpoint(endpoint, config, wait=False)
    session.wait_for_endpoint(endpoint, poll=poll_s)
    return Deployment(endpoint, name, model_data, exists, time.monotonic() - started)
