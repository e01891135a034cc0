"""Submitting AWS Batch jobs (the GPU transcoder).

Errors become domain errors: a request Batch refuses (`ClientException`: an unknown queue or job
definition, a malformed override, or one botocore's model refuses before sending) is `InvalidRequest`
`batch_rejected_job`, a configuration or code fault to fix rather than retry; everything else
(throttling, `ServerException`, the network) is `DependencyFailed` with a `batch_*` code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from reelstack.adapters.aws import client, error_code
from reelstack.errors import DependencyFailed, InvalidRequest

_THROTTLED = {"TooManyRequestsException", "ThrottlingException"}


class BatchJobs:
    def __init__(self, batch: Any = None) -> None:
        self._batch = batch

    @property
    def batch(self) -> Any:
        if self._batch is None:
            self._batch = client("batch")
        return self._batch

    def submit(self, request: Mapping[str, Any]) -> str:
        """SubmitJob with a request from `transcode_jobs.gpu_job_request`; returns the job id."""
        try:
            response = self.batch.submit_job(**request)
        except ParamValidationError as exc:
            raise InvalidRequest(f"the Batch job is malformed: {exc}", code="batch_rejected_job") from exc
        except ClientError as exc:
            code = error_code(exc)
            message = exc.response.get("Error", {}).get("Message", "") or str(exc)
            if code == "ClientException":
                raise InvalidRequest(
                    f"AWS Batch refused the job: {message}", code="batch_rejected_job"
                ) from exc
            raise DependencyFailed(
                f"AWS Batch SubmitJob failed: {code or 'error'}: {message}",
                code="batch_throttled" if code in _THROTTLED else "batch_failed",
            ) from exc
        except BotoCoreError as exc:
            raise DependencyFailed(f"AWS Batch SubmitJob failed: {exc}", code="batch_failed") from exc
        return str(response["jobId"])
