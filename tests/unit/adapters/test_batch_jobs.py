"""Submitting the GPU transcoder's AWS Batch job idempotently, against moto's Batch (in process, no
containers run): a SubmitJob whose answer was lost after Batch created the job must not start a second
GPU job when it is tried again."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ReadTimeoutError
from moto import mock_aws

from reelstack.adapters.media.batch_jobs import BatchJobs
from reelstack.domain.media.renditions import Plan
from reelstack.domain.media.transcode_jobs import gpu_job_request
from reelstack.errors import DependencyFailed

REGION = "us-east-1"
SAMPLE = Path(__file__).resolve().parents[3] / "events" / "transcode_submit" / "gpu.json"


@pytest.fixture
def batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str, str]]:
    """moto's Batch with a job queue and a container job definition: (client, queue ARN, definition ARN)."""
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BATCH", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws(config={"batch": {"use_docker": False}}):
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="batch", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        client = boto3.client("batch", region_name=REGION, config=Config(retries={"total_max_attempts": 1}))
        environment = client.create_compute_environment(
            computeEnvironmentName="gpu", type="UNMANAGED", state="ENABLED", serviceRole=role
        )["computeEnvironmentArn"]
        queue = client.create_job_queue(
            jobQueueName="gpu",
            state="ENABLED",
            priority=1,
            computeEnvironmentOrder=[{"order": 1, "computeEnvironment": environment}],
        )["jobQueueArn"]
        definition = client.register_job_definition(
            jobDefinitionName="gpu-transcoder",
            type="container",
            containerProperties={"image": "gpu-transcoder", "vcpus": 1, "memory": 512},
        )["jobDefinitionArn"]
        yield client, queue, definition


def _lose_answers(client: Any, how_many: int) -> list[str]:
    """SubmitJob reaches Batch and the job is created, but the first `how_many` answers never come back
    (a read timeout after the request was sent): botocore's after-call hook raises what the caller sees."""
    lost: list[str] = []

    def lose(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if len(lost) < how_many:
            lost.append(parsed["jobId"])
            raise ReadTimeoutError(endpoint_url="https://batch.us-east-1.amazonaws.com/v1/submitjob")

    client.meta.events.register("after-call.batch.SubmitJob", lose)
    return lost


def _request(queue: str, definition: str, token: str = "token-1") -> dict[str, Any]:
    plan = Plan.from_dict(_plan_dict())
    return gpu_job_request(plan, "originals/vid1", token, job_queue=queue, job_definition=definition)


def _plan_dict() -> dict[str, Any]:
    """The plan of the GPU sample event (`events/transcode_submit/gpu.json`)."""
    return dict(json.loads(SAMPLE.read_text())["document"]["plan"])


def _jobs(client: Any, queue: str) -> list[dict[str, Any]]:
    statuses = ("SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED")
    return [
        job
        for status in statuses
        for job in client.list_jobs(jobQueue=queue, jobStatus=status)["jobSummaryList"]
    ]


def test_a_submission_whose_answer_was_lost_is_not_submitted_twice(batch: tuple[Any, str, str]) -> None:
    client, queue, definition = batch
    # GIVEN Batch creates the job but its answer to SubmitJob is lost
    lost = _lose_answers(client, 1)
    jobs = BatchJobs(client)

    # WHEN the submission is made (an error there makes the Task try again), and made again
    first: str | None = None
    with contextlib.suppress(DependencyFailed):
        first = jobs.submit(_request(queue, definition))
    again = jobs.submit(_request(queue, definition))

    # THEN Batch holds one job, the one created first, and the retry answers it
    assert [job["jobId"] for job in _jobs(client, queue)] == lost
    assert again == lost[0]
    # AND the first call already answered it (its lost answer was recovered within the call)
    assert first == lost[0]


def test_another_waiting_task_gets_a_job_of_its_own(batch: tuple[Any, str, str]) -> None:
    client, queue, definition = batch
    # GIVEN a job submitted for one waiting Task (its task token)
    jobs = BatchJobs(client)
    first = jobs.submit(_request(queue, definition, "token-1"))
    # WHEN a later attempt of the Task (a new token: the job of the first can no longer resume it) submits
    second = jobs.submit(_request(queue, definition, "token-2"))
    # THEN it is a second job
    assert first != second and len(_jobs(client, queue)) == 2
