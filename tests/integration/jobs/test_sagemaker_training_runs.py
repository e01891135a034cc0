"""SageMaker training jobs on the local cloud: the submitted script runs with its channels downloaded
and SM_* set as in a framework container, its model directory comes back as model.tar.gz, a failure
says why, and Step Functions' `sagemaker:createTrainingJob.sync` waits for the job."""

from __future__ import annotations

import io
import json
import tarfile
import uuid
from typing import Any

import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.integration

SCRIPT = b"""
import argparse, json, os, pathlib
parser = argparse.ArgumentParser()
parser.add_argument("--epochs", type=int)
parser.add_argument("--fail", default="")
args = parser.parse_args()
if args.fail:
    raise SystemExit("training refused: " + args.fail)
rows = sorted(p.read_text() for p in pathlib.Path(os.environ["SM_CHANNEL_TRAIN"]).rglob("*.txt"))
model = pathlib.Path(os.environ["SM_MODEL_DIR"])
(model / "weights.json").write_text(json.dumps({"rows": rows, "epochs": args.epochs,
                                                 "channels": json.loads(os.environ["SM_CHANNELS"])}))
"""
ROLE = "arn:aws:iam::123456789012:role/ranker-training"


@pytest.fixture(scope="module")
def sagemaker(local_cloud: Any) -> Any:
    return local_cloud.client("sagemaker")


@pytest.fixture(scope="module")
def lake(local_cloud: Any, cloud_s3: Any) -> str:
    bucket = str(local_cloud.name("LakeBucket"))
    packed = io.BytesIO()
    with tarfile.open(fileobj=packed, mode="w:gz") as archive:
        info = tarfile.TarInfo("train.py")
        info.size = len(SCRIPT)
        archive.addfile(info, io.BytesIO(SCRIPT))
    cloud_s3.put_object(Bucket=bucket, Key="tests/training/sourcedir.tar.gz", Body=packed.getvalue())
    for name, text in (("a.txt", "one"), ("day=2/b.txt", "two")):
        cloud_s3.put_object(Bucket=bucket, Key=f"tests/training/data/{name}", Body=text.encode())
    return bucket


def _request(lake: str, name: str, **hyperparameters: str) -> dict[str, Any]:
    return {
        "TrainingJobName": name,
        "HyperParameters": {
            "sagemaker_program": json.dumps("train.py"),
            "sagemaker_submit_directory": json.dumps(f"s3://{lake}/tests/training/sourcedir.tar.gz"),
            **{key: json.dumps(value) for key, value in hyperparameters.items()},
        },
        "AlgorithmSpecification": {"TrainingImage": "local/sklearn", "TrainingInputMode": "File"},
        "RoleArn": ROLE,
        "InputDataConfig": [
            {
                "ChannelName": "train",
                "DataSource": {
                    "S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": f"s3://{lake}/tests/training/data"}
                },
            }
        ],
        "OutputDataConfig": {"S3OutputPath": f"s3://{lake}/tests/training/models"},
        "ResourceConfig": {"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10},
        "StoppingCondition": {"MaxRuntimeInSeconds": 300},
    }


def _ended(sagemaker: Any, name: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        job: dict[str, Any] = sagemaker.describe_training_job(TrainingJobName=name)
        return job if job["TrainingJobStatus"] in ("Completed", "Failed", "Stopped") else None

    return wait_for(done, timeout=60)


def test_a_training_job_trains_on_its_channel_and_returns_its_model(
    sagemaker: Any, lake: str, cloud_s3: Any
) -> None:
    # GIVEN a script and a channel of two files WHEN a training job runs it
    name = f"ranker-{uuid.uuid4().hex[:8]}"
    sagemaker.create_training_job(**_request(lake, name, epochs="3"))
    job = _ended(sagemaker, name)
    # THEN it completes, its steps are recorded, and SM_MODEL_DIR came back as model.tar.gz
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    assert [step["Status"] for step in job["SecondaryStatusTransitions"]] == [
        "Starting", "Downloading", "Training", "Uploading", "Completed",
    ]  # fmt: skip
    artifacts = job["ModelArtifacts"]["S3ModelArtifacts"]
    assert artifacts == f"s3://{lake}/tests/training/models/{name}/output/model.tar.gz"
    body = cloud_s3.get_object(Bucket=lake, Key=artifacts.split(f"{lake}/", 1)[1])["Body"].read()
    with tarfile.open(fileobj=io.BytesIO(body), mode="r:gz") as archive:
        weights = json.loads(archive.extractfile("weights.json").read())  # type: ignore[union-attr]
    assert weights == {"rows": ["one", "two"], "epochs": 3, "channels": ["train"]}
    # AND a second job of the same name is refused
    with pytest.raises(sagemaker.exceptions.ResourceInUse):
        sagemaker.create_training_job(**_request(lake, name, epochs="3"))


def test_a_failing_script_fails_the_job_with_its_reason(sagemaker: Any, lake: str) -> None:
    name = f"ranker-{uuid.uuid4().hex[:8]}"
    sagemaker.create_training_job(**_request(lake, name, fail="too few rows"))
    job = _ended(sagemaker, name)
    assert job["TrainingJobStatus"] == "Failed"
    assert "training refused: too few rows" in job["FailureReason"]


def test_step_functions_waits_for_a_training_job(cloud_sfn: Any, lake: str) -> None:
    # GIVEN a state machine that trains with .sync
    definition = {
        "StartAt": "Train",
        "States": {
            "Train": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sagemaker:createTrainingJob.sync",
                "Parameters": {**_request(lake, "placeholder", epochs="1"), "TrainingJobName.$": "$.name"},
                "End": True,
            }
        },
    }
    del definition["States"]["Train"]["Parameters"]["TrainingJobName"]  # type: ignore[attr-defined]
    machine = cloud_sfn.create_state_machine(
        name=f"train-sync-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/sfn",
    )["stateMachineArn"]
    # WHEN it runs THEN the execution ends after the job, with the job's description as output
    name = f"ranker-{uuid.uuid4().hex[:8]}"
    started = cloud_sfn.start_execution(stateMachineArn=machine, name=name, input=json.dumps({"name": name}))

    def ended() -> dict[str, Any] | None:
        described: dict[str, Any] = cloud_sfn.describe_execution(executionArn=started["executionArn"])
        return described if described["status"] != "RUNNING" else None

    execution = wait_for(ended, timeout=90)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    assert output["TrainingJobStatus"] == "Completed"
    assert output["ModelArtifacts"]["S3ModelArtifacts"].endswith(f"/{name}/output/model.tar.gz")
