"""`reelstack rank train --platform`: DeepFM trained on the platform's own log, as a SageMaker training job.

The training set is the `examples/` table of the newest finished profile run in the lake
(`lake/profiles/runs/<run>/`, the one whose success marker is newest): the nightly job built it from
the interaction log. The job is started with the sagemaker SDK's scikit-learn estimator and the
ranker's own training code (`infra/ranker/train.py`, script mode; its requirements.txt brings JAX
into the container), on the local cloud (which runs the script in this machine's Python) or in AWS.
The trained artifact lands under `models/ranker/trained/<job>/output/model.tar.gz`, ready for
`reelstack rank deploy`; the code is kept under `models/ranker/code/`, and the newest as
`models/ranker/code/latest/sourcedir.tar.gz`, which the nightly training step (the profiles state
machine, after its switch) runs from then on.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from reelstack_tools.rank_deploy import FRAMEWORK_VERSION, MODEL_PREFIX, RANKER_DIR, _session

RUNS_PREFIX = "lake/profiles/runs/"
# The code the nightly training step runs (the profiles state machine): the newest `--platform` run's.
LATEST_CODE_KEY = f"{MODEL_PREFIX}code/latest/sourcedir.tar.gz"
MARKER = "_SUCCESS_MARKER.json"


@dataclass(frozen=True)
class PlatformTraining:
    job_name: str
    examples: str
    run_as_of: str
    model_data: str
    seconds: float


def newest_run(s3: Any, bucket: str) -> tuple[str, dict[str, Any]]:
    """The newest finished profile run: (its output prefix, its marker)."""
    markers = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=RUNS_PREFIX):
        markers += [item for item in page.get("Contents", []) if item["Key"].endswith(f"/{MARKER}")]
    if not markers:
        raise LookupError(
            f"no finished profile run under s3://{bucket}/{RUNS_PREFIX}: run the profiles workflow first"
        )
    newest = max(markers, key=lambda item: (item["LastModified"], item["Key"]))
    marker = json.loads(s3.get_object(Bucket=bucket, Key=newest["Key"])["Body"].read())
    return newest["Key"][: -len(MARKER)], marker


def train_on_platform(
    *,
    bucket: str,
    role: str,
    region: str,
    instance_type: str = "ml.m5.xlarge",
    epochs: int = 4,
    poll_s: int = 15,
) -> PlatformTraining:
    from sagemaker.sklearn.estimator import SKLearn

    started = time.monotonic()
    session = _session(bucket, region)
    prefix, marker = newest_run(session.boto_session.client("s3", endpoint_url=_endpoint()), bucket)
    if not marker.get("counts", {}).get("examples"):
        raise LookupError(f"the newest profile run ({prefix}) has no training examples")
    examples = f"s3://{bucket}/{prefix}examples/"
    estimator = SKLearn(
        entry_point="train.py",
        source_dir=str(RANKER_DIR),
        role=role,
        instance_type=instance_type,
        instance_count=1,
        framework_version=FRAMEWORK_VERSION,
        py_version="py3",
        hyperparameters={"epochs": str(epochs)},
        output_path=f"s3://{bucket}/{MODEL_PREFIX}trained",
        code_location=f"s3://{bucket}/{MODEL_PREFIX}code",
        base_job_name="reelstack-ranker",
        max_run=3600,
        sagemaker_session=session,
    )
    estimator.fit({"train": examples}, wait=False, logs="None")
    started_job = estimator.latest_training_job
    assert started_job is not None, "fit() starts a job"
    job = started_job.name
    uploaded = estimator.uploaded_code
    if uploaded is not None:  # the nightly training step takes this code from now on
        s3 = session.boto_session.client("s3", endpoint_url=_endpoint())
        source = uploaded.s3_prefix.split(f"s3://{bucket}/", 1)[1]
        s3.copy_object(Bucket=bucket, Key=LATEST_CODE_KEY, CopySource={"Bucket": bucket, "Key": source})
    description = session.wait_for_job(job, poll=poll_s)
    return PlatformTraining(
        job_name=job,
        examples=examples,
        run_as_of=str(marker.get("as_of")),
        model_data=str(description["ModelArtifacts"]["S3ModelArtifacts"]),
        seconds=time.monotonic() - started,
    )


def _endpoint() -> str | None:
    import os

    return os.environ.get("AWS_ENDPOINT_URL")
