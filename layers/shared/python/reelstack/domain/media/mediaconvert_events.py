"""MediaConvert's "MediaConvert Job State Change" EventBridge events, read into a `JobStateChange`.

Only the final states resume a waiting workflow: COMPLETE (every output written), ERROR (at least
one output failed: `errorCode`, `errorMessage`) and CANCELED. The waiting task's token is stored
under `waiting_ref(job_id)`. `JobStateChange.task_failure()` is what SendTaskFailure carries;
`.summary()` lists what a completed job wrote (the stills still need turning into the poster and the
sprite before SendTaskSuccess). Anything else is refused with `invalid_event`.

    {"source": "aws.mediaconvert", "detail-type": "MediaConvert Job State Change",
     "detail": {"jobId": "...", "status": "COMPLETE", "userMetadata": {...},
                "outputGroupDetails": [{"type": "CMAF_GROUP", "playlistFilePaths": [...],
                                        "outputDetails": [{"outputFilePaths": [...], ...}]}]}}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from reelstack.errors import InvalidRequest, coded_message

SOURCE = "aws.mediaconvert"
DETAIL_TYPE = "MediaConvert Job State Change"
WAITING_REF_PREFIX = "mediaconvert#"
FAILED_ERROR = "MediaConvertJobFailed"  # SendTaskFailure's error names: what a Catch can match
CANCELED_ERROR = "MediaConvertJobCanceled"
MAX_CAUSE_CHARS = 32768  # SendTaskFailure's cause limit


class JobStatus(StrEnum):
    COMPLETE = "COMPLETE"
    ERROR = "ERROR"
    CANCELED = "CANCELED"


def waiting_ref(job_id: str) -> str:
    """The key the waiting task's token is stored under: `mediaconvert#<job id>`."""
    return f"{WAITING_REF_PREFIX}{job_id}"


@dataclass(frozen=True)
class OutputGroupResult:
    type: str  # "CMAF_GROUP", "FILE_GROUP", ...
    playlists: tuple[str, ...]  # playlistFilePaths: the group's top-level manifests (s3:// URIs)
    output_files: tuple[str, ...]  # outputFilePaths: media files, or a frame capture's last still


@dataclass(frozen=True)
class JobStateChange:
    job_id: str
    status: JobStatus
    user_metadata: Mapping[str, str] = field(default_factory=dict)
    output_groups: tuple[OutputGroupResult, ...] = ()
    error_code: int | None = None
    error_message: str | None = None

    @property
    def ref(self) -> str:
        return waiting_ref(self.job_id)

    @property
    def succeeded(self) -> bool:
        return self.status is JobStatus.COMPLETE

    @property
    def video_id(self) -> str | None:
        return self.user_metadata.get("video_id")

    @property
    def playlists(self) -> tuple[str, ...]:
        return tuple(p for group in self.output_groups for p in group.playlists)

    @property
    def output_files(self) -> tuple[str, ...]:
        return tuple(f for group in self.output_groups for f in group.output_files)

    def summary(self) -> dict[str, Any]:
        """The job's facts as JSON: where its manifests and files are (what finishing starts from)."""
        return {
            "backend": "mediaconvert",
            "job_id": self.job_id,
            "status": self.status.value,
            "video_id": self.video_id,
            "playlists": list(self.playlists),
            "output_files": list(self.output_files),
        }

    def task_failure(self) -> tuple[str, str]:
        """SendTaskFailure's (error, cause); the cause carries a code, `[mediaconvert_1040] ...`."""
        if self.succeeded:
            raise ValueError("a completed job is not a failure")
        if self.status is JobStatus.CANCELED:
            return CANCELED_ERROR, coded_message(
                "mediaconvert_canceled", f"MediaConvert job {self.job_id} was canceled"
            )
        code = f"mediaconvert_{self.error_code}" if self.error_code is not None else "mediaconvert_error"
        message = f"MediaConvert job {self.job_id} failed: {self.error_message or 'no message'}"
        return FAILED_ERROR, coded_message(code, message)[:MAX_CAUSE_CHARS]


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_event")


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _invalid(f"{what} must be a list of strings")
    return tuple(value)


def _output_group(group: Any) -> OutputGroupResult:
    if not isinstance(group, Mapping):
        raise _invalid("outputGroupDetails must hold objects")
    details = group.get("outputDetails") or []
    if not isinstance(details, list) or not all(isinstance(d, Mapping) for d in details):
        raise _invalid("outputDetails must be a list of objects")
    return OutputGroupResult(
        type=str(group.get("type") or ""),
        playlists=_strings(group.get("playlistFilePaths"), "playlistFilePaths"),
        output_files=tuple(f for d in details for f in _strings(d.get("outputFilePaths"), "outputFilePaths")),
    )


def _metadata(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise _invalid("userMetadata must map names to strings")
    return {str(k): v for k, v in value.items()}


def _error_code(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise _invalid(f"errorCode {value!r} is not a number")
    return int(value)


def parse_job_state_change(event: Mapping[str, Any]) -> JobStateChange:
    """Read a final-state MediaConvert event; refuse anything else with `invalid_event`."""
    if event.get("source") != SOURCE or event.get("detail-type") != DETAIL_TYPE:
        raise _invalid(f"not a {DETAIL_TYPE!r} event from {SOURCE}")
    detail = event.get("detail")
    if not isinstance(detail, Mapping):
        raise _invalid("the event has no detail")
    job_id = detail.get("jobId")
    if not isinstance(job_id, str) or not job_id:
        raise _invalid("the event names no jobId")
    status_text = detail.get("status")
    if not isinstance(status_text, str) or status_text not in set(JobStatus):
        raise _invalid(f"status {status_text!r} is not a final state (COMPLETE, ERROR, CANCELED)")
    status = JobStatus(status_text)
    groups = detail.get("outputGroupDetails") or []
    if not isinstance(groups, list):
        raise _invalid("outputGroupDetails must be a list")
    message = detail.get("errorMessage")
    return JobStateChange(
        job_id=job_id,
        status=status,
        user_metadata=_metadata(detail.get("userMetadata")),
        output_groups=tuple(_output_group(g) for g in groups),
        error_code=_error_code(detail.get("errorCode")),
        error_message=str(message) if message is not None else None,
    )
