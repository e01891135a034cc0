"""Submitting MediaConvert jobs. Current boto3 needs no endpoint discovery (DescribeEndpoints).

Errors become domain errors: a request MediaConvert refuses (BadRequest, or one botocore's model
refuses before sending) is `InvalidRequest` `mediaconvert_rejected_job`, a bug to fix rather than
retry; everything else (throttling, quotas, a missing queue or role, 5xx, the network) is
`DependencyFailed` with a `mediaconvert_*` code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from reelstack.adapters.aws import client, error_code
from reelstack.errors import DependencyFailed, InvalidRequest

_DEPENDENCY_CODES = {
    "TooManyRequestsException": "mediaconvert_throttled",
    "ServiceQuotaExceededException": "mediaconvert_quota_exceeded",
    "ForbiddenException": "mediaconvert_forbidden",
    "NotFoundException": "mediaconvert_not_found",
    "ConflictException": "mediaconvert_conflict",
    "InternalServerErrorException": "mediaconvert_unavailable",
}


class MediaConvertJobs:
    def __init__(self, mediaconvert: Any = None) -> None:
        self._mediaconvert = mediaconvert

    @property
    def mediaconvert(self) -> Any:
        if self._mediaconvert is None:
            self._mediaconvert = client("mediaconvert")
        return self._mediaconvert

    def submit(self, request: Mapping[str, Any]) -> str:
        """CreateJob with a request from `mediaconvert_job.create_job_request`; returns the job id."""
        try:
            response = self.mediaconvert.create_job(**request)
        except ParamValidationError as exc:
            raise InvalidRequest(
                f"the MediaConvert job is malformed: {exc}", code="mediaconvert_rejected_job"
            ) from exc
        except ClientError as exc:
            code = error_code(exc)
            message = exc.response.get("Error", {}).get("Message", "") or str(exc)
            if code == "BadRequestException":
                raise InvalidRequest(
                    f"MediaConvert refused the job: {message}", code="mediaconvert_rejected_job"
                ) from exc
            raise DependencyFailed(
                f"MediaConvert CreateJob failed: {code or 'error'}: {message}",
                code=_DEPENDENCY_CODES.get(code, "mediaconvert_failed"),
            ) from exc
        except BotoCoreError as exc:
            raise DependencyFailed(
                f"MediaConvert CreateJob failed: {exc}", code="mediaconvert_failed"
            ) from exc
        return str(response["Job"]["Id"])
