"""Submitting AWS Batch jobs (the GPU transcoder), at most one job per submission.

SubmitJob has no client token: a request whose answer is lost (a read timeout, a dropped connection, a
5xx after Batch created the job) and is sent again starts a second GPU job. botocore's own retries
would do exactly that, so the client this adapter builds sends SubmitJob once per call
(`total_max_attempts` 1), and `submit` retries itself, idempotently, by the job's name
(`transcode_jobs.attempt_job_name`, unique per waiting Task): before sending, and after any failure
whose outcome is unknown, ListJobs (filter JOB_NAME) looks for a job of that name in the queue, and a
found job's id is the answer. Cost: one ListJobs per submission, one more per failed try.

Errors become domain errors: a request Batch refuses (`ClientException`: an unknown queue or job
definition, a malformed override, or one botocore's model refuses before sending) is `InvalidRequest`
`batch_rejected_job`, a configuration or code fault to fix rather than retry; everything else
(throttling, `ServerException`, the network), once `attempts` tries found no job, is `DependencyFailed`
with a `batch_*` code.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from reelstack.adapters.aws import client_config, error_code
from reelstack.errors import DependencyFailed, InvalidRequest
from reelstack.observability import logger
from reelstack.settings import sdk_settings

_THROTTLED = {"TooManyRequestsException", "ThrottlingException"}


def submit_client() -> Any:
    """A Batch client that never resends a request by itself (`submit` retries, looking first)."""
    config = client_config(sdk_settings()).merge(
        Config(retries={"mode": "standard", "total_max_attempts": 1})
    )
    return boto3.session.Session().client("batch", config=config)


class BatchJobs:
    def __init__(
        self,
        batch: Any = None,
        *,
        attempts: int = 3,
        pause_s: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._batch = batch
        self.attempts = max(1, attempts)
        self.pause_s = pause_s
        self.sleep = sleep

    @property
    def batch(self) -> Any:
        if self._batch is None:
            self._batch = submit_client()
        return self._batch

    def submit(self, request: Mapping[str, Any]) -> str:
        """SubmitJob with a request from `transcode_jobs.gpu_job_request`; returns the job id, the id of
        the job already submitted under the request's name if there is one (see the module docstring)."""
        queue, name = str(request["jobQueue"]), str(request["jobName"])
        found = self.find(queue, name)
        if found is not None:
            logger.info("batch job already submitted", extra={"job_name": name, "job_id": found})
            return found
        error: DependencyFailed | None = None
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.pause_s * 2 ** (attempt - 1))
            try:
                return str(self.batch.submit_job(**request)["jobId"])
            except ParamValidationError as exc:
                raise InvalidRequest(f"the Batch job is malformed: {exc}", code="batch_rejected_job") from exc
            except ClientError as exc:
                error = _client_error(exc)
            except BotoCoreError as exc:
                error = DependencyFailed(f"AWS Batch SubmitJob failed: {exc}", code="batch_failed")
            found = self.find(queue, name)  # the job may exist though its answer was lost
            if found is not None:
                logger.warning(
                    "batch job found after a failed submission", extra={"job_name": name, "job_id": found}
                )
                return found
        assert error is not None
        raise error

    def find(self, queue: str, name: str) -> str | None:
        """The id of the newest job named `name` in `queue` (any status), or None."""
        try:
            answer = self.batch.list_jobs(jobQueue=queue, filters=[{"name": "JOB_NAME", "values": [name]}])
        except (ClientError, BotoCoreError) as exc:
            raise DependencyFailed(f"AWS Batch ListJobs failed: {exc}", code="batch_failed") from exc
        jobs = [job for job in answer.get("jobSummaryList") or [] if job.get("jobName") == name]
        if not jobs:
            return None
        return str(max(jobs, key=lambda job: int(job.get("createdAt") or 0))["jobId"])


def _client_error(exc: ClientError) -> DependencyFailed:
    code = error_code(exc)
    message = exc.response.get("Error", {}).get("Message", "") or str(exc)
    if code == "ClientException":
        raise InvalidRequest(f"AWS Batch refused the job: {message}", code="batch_rejected_job") from exc
    return DependencyFailed(
        f"AWS Batch SubmitJob failed: {code or 'error'}: {message}",
        code="batch_throttled" if code in _THROTTLED else "batch_failed",
    )
