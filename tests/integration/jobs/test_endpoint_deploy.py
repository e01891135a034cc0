"""`rank deploy` on the local cloud: the sagemaker SDK creates the model, configuration and serverless
endpoint (moto), and the local runtime answers InvokeEndpoint with the deployed code and artifact,
through boto3's sagemaker-runtime and through `sagemaker.Predictor`; a second deploy updates it."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

INFERENCE = """
import json, os

def model_fn(model_dir):
    with open(os.path.join(model_dir, "weights.json")) as handle:
        return json.load(handle)

def input_fn(body, content_type):
    return json.loads(body)

def predict_fn(data, model):
    return {"scores": [model["scale"] * value for value in data["values"]], "version": model["version"]}

def output_fn(prediction, accept):
    return json.dumps(prediction)
"""


def _artifact(folder: Path, version: str, scale: float) -> Path:
    weights = folder / f"weights-{version}.json"
    weights.write_text(json.dumps({"scale": scale, "version": version}))
    archive = folder / f"model-{version}.tar.gz"
    with tarfile.open(archive, "w:gz") as packed:
        packed.add(weights, arcname="weights.json")
    return archive


def test_deploy_then_invoke_through_boto3_and_the_predictor_then_update(
    cloud_sdk_environment: Any, tmp_path: Path
) -> None:
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import JSONSerializer

    from reelstack_tools.rank_deploy import _session, deploy

    cloud = cloud_sdk_environment
    code = tmp_path / "code"
    code.mkdir()
    (code / "inference.py").write_text(INFERENCE)
    bucket = str(cloud.name("LakeBucket"))
    role = "arn:aws:iam::123456789012:role/ranker-model"
    # GIVEN a model artifact WHEN it is deployed to a new endpoint
    first = deploy(
        str(_artifact(tmp_path, "v1", 2.0)),
        endpoint="ranker-test",
        role=role,
        bucket=bucket,
        region=cloud.region,
        version="v1",
        source_dir=code,
        poll_s=1,
    )
    assert not first.updated
    # THEN boto3's sagemaker-runtime gets the deployed code's answer
    runtime = cloud.client("sagemaker-runtime")
    answer = runtime.invoke_endpoint(
        EndpointName="ranker-test", ContentType="application/json", Body=json.dumps({"values": [1, 2.5]})
    )
    assert json.loads(answer["Body"].read()) == {"scores": [2.0, 5.0], "version": "v1"}
    # AND so does sagemaker.Predictor
    predictor = Predictor(
        "ranker-test",
        sagemaker_session=_session(bucket, cloud.region),
        serializer=JSONSerializer(),
        deserializer=JSONDeserializer(),
    )
    assert predictor.predict({"values": [3]}) == {"scores": [6.0], "version": "v1"}
    # WHEN a new artifact is deployed to the same endpoint THEN it is updated and serves the new model
    second = deploy(
        str(_artifact(tmp_path, "v2", 10.0)),
        endpoint="ranker-test",
        role=role,
        bucket=bucket,
        region=cloud.region,
        version="v2",
        source_dir=code,
        poll_s=1,
    )
    assert second.updated
    from tests.support.waiting import wait_for

    assert wait_for(
        lambda: predictor.predict({"values": [3]}) == {"scores": [30.0], "version": "v2"}, timeout=30
    )


def test_the_ranker_answers_through_its_endpoint_as_in_process(
    cloud_sdk_environment: Any, tmp_path: Path
) -> None:
    import numpy as np
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import JSONSerializer

    from reelstack_tools.rank_deploy import _session, deploy
    from reelstack_tools.rank_eval import ranker_modules

    features, model, training, inference = ranker_modules()
    cloud = cloud_sdk_environment
    # GIVEN a DeepFM artifact trained a little on cats-lovers
    rows = [
        features.values_of(
            {"tags": ["cats"]}, {"hour": 20}, {"video_id": f"v{i}", "tags": ["cats" if i % 2 else "cars"]}
        )
        for i in range(300)
    ]
    indices, mask = features.encode(rows)
    labels = np.asarray([i % 2 for i in range(300)], dtype=np.float32)
    params, _ = training.train(indices, mask, labels, training.TrainSettings(epochs=2, batch_size=64))
    folder = tmp_path / "model"
    model.save(folder, params, {"kind": "deepfm", "version": "e2e"})
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as packed:
        for path in folder.iterdir():
            packed.add(path, arcname=path.name)
    bucket = str(cloud.name("LakeBucket"))
    # WHEN `rank deploy` serves it (the ranker's serving files only)
    deploy(
        str(archive),
        endpoint="ranker-e2e",
        role="arn:aws:iam::123456789012:role/m",
        bucket=bucket,
        region=cloud.region,
        version="e2e",
        poll_s=1,
    )
    request = {
        "user": {"tags": ["cats"], "region": "DE"},
        "context": {"hour": 20, "device": "ios"},
        "candidates": [{"video_id": f"c{i}", "tags": ["cats" if i % 2 else "cars"]} for i in range(200)],
    }
    expected = inference.predict_fn(request, inference.model_fn(str(folder)))
    # THEN boto3's sagemaker-runtime and sagemaker.Predictor both get the in-process answer
    runtime = cloud.client("sagemaker-runtime")
    answer = runtime.invoke_endpoint(
        EndpointName="ranker-e2e", ContentType="application/json", Body=json.dumps(request)
    )
    assert json.loads(answer["Body"].read()) == expected
    predictor = Predictor(
        "ranker-e2e",
        sagemaker_session=_session(bucket, cloud.region),
        serializer=JSONSerializer(),
        deserializer=JSONDeserializer(),
    )
    assert predictor.predict(request) == expected
    assert len(expected["scores"]) == 200 and expected["model_version"] == "e2e"
