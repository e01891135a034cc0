"""moto's AWS Batch in process (no containers run): a job queue and the GPU transcoder's container job
definition, and a way to lose SubmitJob's answers after Batch created the job."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError
from moto import mock_aws

REGION = "us-east-1"
SUBMIT_URL = f"https://batch.{REGION}.amazonaws.com/v1/submitjob"


@dataclass(frozen=True)
class MotoBatch:
    client: Any  # sends each request once: what the caller sees is what Batch answered
    queue: str  # the job queue's ARN
    definition: str  # the container job definition's ARN

    def jobs(self) -> list[dict[str, Any]]:
        """Every job in the queue, whatever its status, described (its environment under `container`)."""
        summaries = self.client.list_jobs(
            jobQueue=self.queue, filters=[{"name": "JOB_NAME", "values": ["*"]}]
        )["jobSummaryList"]
        if not summaries:
            return []
        return list(self.client.describe_jobs(jobs=[job["jobId"] for job in summaries])["jobs"])

    def lose_submit_answers(self, how_many: int, error: str = "timeout") -> list[str]:
        return lose_submit_answers(self.client, how_many, error)


def lose_submit_answers(client: Any, how_many: int, error: str = "timeout") -> list[str]:
    """SubmitJob reaches Batch and the job is created, but the first `how_many` answers never come
    back: a read timeout (`timeout`) or a 5xx (`server`, Batch's ServerException) after the request
    was handled. botocore's after-call hook raises what the caller sees; the ids of the jobs whose
    answers were lost are returned (filled as they are lost)."""
    lost: list[str] = []

    def lose(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        if len(lost) < how_many:
            lost.append(parsed["jobId"])
            if error == "server":
                raise ClientError(
                    {
                        "Error": {"Code": "ServerException", "Message": "the answer was lost"},
                        "ResponseMetadata": {"HTTPStatusCode": 500},
                    },
                    "SubmitJob",
                )
            raise ReadTimeoutError(endpoint_url=SUBMIT_URL)

    client.meta.events.register("after-call.batch.SubmitJob", lose)
    return lost


@contextmanager
def moto_batch(monkeypatch: pytest.MonkeyPatch) -> Iterator[MotoBatch]:
    """moto's Batch with a job queue (an unmanaged compute environment) and a container job definition."""
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
        yield MotoBatch(client, queue, definition)
