"""Transcoding off the ffmpeg Lambda: the submit side of the MediaConvert and GPU backends.

The ingest workflow's `TranscodeWithMediaConvert` and `TranscodeWithGpu` states invoke the submit
function with `{backend, document, task_token}` (`lambda:invoke.waitForTaskToken`) and wait for the
token to come back with the workflow's `outputs`:

- mediaconvert: CreateJob from the plan (idempotent: the client request token is derived from the
  task token), then the token is filed as a waiting task under `mediaconvert#<job id>`; MediaConvert's
  completion event resumes the execution (`services.media.mediaconvert_completion`).
- gpu: the plan goes to `work/{video_id}/plan.json`, then an AWS Batch job of the NVENC container gets
  the token in its environment and reports success or failure itself.

The high-heat workflow's `EncodeWithGpu` state invokes it the same way with `{kind: "heat", backend:
"gpu", document: <heat document>, task_token}`: Plan has already written the heat job
(`work/{video_id}/heat-{codec}.json`), so only the Batch job is submitted (JOB_KIND=heat).

Every Batch job is named per waiting Task and submitted through `adapters.media.batch_jobs`, which looks
the name up before and after each try: a submission whose first answer was lost never starts a second
GPU job.

A backend this deployment does not have is refused with `backend_unavailable`; the Task's Catch then
records the failure (nothing waits out the Task's timeout).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reelstack.adapters.media.batch_jobs import BatchJobs
from reelstack.adapters.media.mediaconvert import MediaConvertJobs
from reelstack.adapters.media.waiting_tasks import WaitingTask, WaitingTasks
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.clock import iso, utc_now
from reelstack.domain.media import heat
from reelstack.domain.media.mediaconvert_events import waiting_ref
from reelstack.domain.media.mediaconvert_job import create_job_request, destination_for
from reelstack.domain.media.renditions import Plan
from reelstack.domain.media.transcode_jobs import (
    GPU_BACKEND,
    HEAT_JOB_KIND,
    MEDIACONVERT_BACKEND,
    client_request_token,
    gpu_job_request,
    heat_gpu_job_request,
    heat_job_key,
    plan_key,
)
from reelstack.domain.media.workflow import WorkflowDocument
from reelstack.errors import InvalidRequest, ReelstackError
from reelstack.observability import logger

MEDIACONVERT_KIND = "mediaconvert"
TRANSCODE_WAIT = timedelta(seconds=7200)  # the transcode Tasks' TimeoutSeconds in the state machine
WAIT_MARGIN = timedelta(days=1)
JOB_APPLICATION = "reelstack"  # MediaConvert user metadata the EventBridge rule filters on


class BackendUnavailable(ReelstackError):
    """The plan asks for a transcode backend this deployment does not have."""

    code = "backend_unavailable"


class SubmitRequest(BaseModel):
    """What the ingest workflow's transcode Tasks send: `{backend, document, task_token}`."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["ladder"] = "ladder"
    backend: str = Field(min_length=1)
    document: WorkflowDocument
    task_token: str = Field(min_length=1)


class HeatSubmitRequest(BaseModel):
    """What the heat workflow's EncodeWithGpu Task sends: `{kind: "heat", backend: "gpu", document,
    task_token}` (the document as Plan left it)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["heat"]
    backend: Literal["gpu"]
    document: heat.HeatDocument
    task_token: str = Field(min_length=1)


def parse_submit_request(event: Any) -> SubmitRequest | HeatSubmitRequest:
    """`kind` says which workflow sends the request: `heat`, or the ingest ladder when absent."""
    model: type[SubmitRequest | HeatSubmitRequest] = SubmitRequest
    if isinstance(event, dict) and event.get("kind") == HEAT_JOB_KIND:
        model = HeatSubmitRequest
    try:
        return model.model_validate(event)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise InvalidRequest(f"{where}: {problem['msg']}", code="invalid_submit_request") from None


@dataclass(frozen=True)
class BackendConfig:
    mediaconvert_role_arn: str = ""
    mediaconvert_queue_arn: str = ""  # "" = the Default queue
    gpu_job_queue: str = ""
    gpu_job_definition: str = ""
    stage: str = "dev"


def document_plan(document: WorkflowDocument) -> Plan:
    if not isinstance(document.plan, dict):
        raise InvalidRequest("the workflow document has no plan", code="invalid_workflow_document")
    plan = Plan.from_dict(document.plan)
    if plan.video_id != document.video_id:
        raise InvalidRequest(f"the plan is for {plan.video_id}, not {document.video_id}", code="invalid_plan")
    return plan


def heat_source_key(document: heat.HeatDocument) -> str:
    """The source of a heat document Plan sent to the GPU; its plan must name the heat job Plan wrote."""
    plan = document.plan if isinstance(document.plan, dict) else {}
    if plan.get("backend") != GPU_BACKEND:
        raise InvalidRequest("the heat document is not planned for the GPU", code="invalid_plan")
    codec = heat.check_codec(document.codec)
    expected = heat_job_key(document.video_id, codec)
    if plan.get("job_key") != expected:
        raise InvalidRequest(
            f"the heat plan names the job {plan.get('job_key')!r}, not {expected}", code="invalid_plan"
        )
    source = plan.get("source_key")
    if not isinstance(source, str) or not source:
        raise InvalidRequest("the heat plan has no source_key", code="invalid_plan")
    return source


def mediaconvert_waiting_task(
    job_id: str, plan: Plan, bucket: str, task_token: str, now: datetime
) -> WaitingTask:
    """The token filed under `mediaconvert#<job id>`, with what finishing the job needs."""
    details = {"job_id": job_id, "plan": plan.to_dict(), "bucket": bucket}
    return WaitingTask(waiting_ref(job_id), MEDIACONVERT_KIND, plan.video_id, task_token, iso(now), details)


class TranscodeBackends:
    def __init__(
        self,
        storage: MediaStorage,
        waiting: WaitingTasks,
        mediaconvert: MediaConvertJobs,
        batch: BatchJobs,
        config: BackendConfig,
        scratch_root: str = "/tmp",
    ) -> None:
        self.storage = storage
        self.waiting = waiting
        self.mediaconvert = mediaconvert
        self.batch = batch
        self.config = config
        self.scratch_root = scratch_root

    def submit_request(self, request: SubmitRequest | HeatSubmitRequest) -> dict[str, Any]:
        """What the submit function does with a parsed request, from either workflow."""
        if isinstance(request, HeatSubmitRequest):
            return self.submit_heat(request.document, request.task_token)
        return self.submit(request.backend, request.document, request.task_token)

    def submit_heat(self, document: heat.HeatDocument, task_token: str) -> dict[str, Any]:
        """Start the NVENC container's heat job Plan wrote; the container resumes the execution."""
        job_id = self.batch.submit(self.heat_gpu_request(document, task_token))
        logger.info(
            "heat job submitted",
            extra={"video_id": document.video_id, "codec": document.codec, "job_id": job_id},
        )
        return {
            "video_id": document.video_id,
            "kind": HEAT_JOB_KIND,
            "backend": GPU_BACKEND,
            "job_id": job_id,
        }

    def submit(self, backend: str, document: WorkflowDocument, task_token: str) -> dict[str, Any]:
        """Start the plan's job on `backend`; the execution resumes when the job reports back."""
        plan = document_plan(document)
        if backend == MEDIACONVERT_BACKEND:
            job_id = self._mediaconvert(document, plan, task_token)
        elif backend == GPU_BACKEND:
            job_id = self._gpu(document, plan, task_token)
        else:
            raise InvalidRequest(f"unknown transcode backend {backend!r}", code="unknown_backend")
        logger.info(
            "transcode job submitted", extra={"video_id": plan.video_id, "backend": backend, "job_id": job_id}
        )
        return {"video_id": plan.video_id, "backend": backend, "job_id": job_id}

    def mediaconvert_request(self, document: WorkflowDocument, plan: Plan, task_token: str) -> dict[str, Any]:
        if not self.config.mediaconvert_role_arn:
            raise BackendUnavailable("this deployment has no MediaConvert role configured")
        return create_job_request(
            plan,
            source_uri=f"s3://{document.bucket}/{document.key}",
            destination_uri=destination_for(self.storage.bucket, plan),
            role_arn=self.config.mediaconvert_role_arn,
            queue_arn=self.config.mediaconvert_queue_arn or None,
            user_metadata={"application": JOB_APPLICATION, "stage": self.config.stage},
            client_request_token=client_request_token(task_token),
        )

    def gpu_request(self, document: WorkflowDocument, plan: Plan, task_token: str) -> dict[str, Any]:
        self._check_gpu()
        return gpu_job_request(
            plan,
            document.key,
            task_token,
            job_queue=self.config.gpu_job_queue,
            job_definition=self.config.gpu_job_definition,
        )

    def heat_gpu_request(self, document: heat.HeatDocument, task_token: str) -> dict[str, Any]:
        self._check_gpu()  # refuses before anything is submitted
        source_key = heat_source_key(document)
        return heat_gpu_job_request(
            document.video_id,
            document.codec,
            source_key,
            task_token,
            job_queue=self.config.gpu_job_queue,
            job_definition=self.config.gpu_job_definition,
        )

    def _check_gpu(self) -> None:
        if not (self.config.gpu_job_queue and self.config.gpu_job_definition):
            raise BackendUnavailable("this deployment has no GPU job queue (GpuTranscoderImageUri is empty)")

    def _mediaconvert(self, document: WorkflowDocument, plan: Plan, task_token: str) -> str:
        job_id = self.mediaconvert.submit(self.mediaconvert_request(document, plan, task_token))
        now = utc_now()
        task = mediaconvert_waiting_task(job_id, plan, self.storage.bucket, task_token, now)
        self.waiting.put(task, expires_at=now + TRANSCODE_WAIT + WAIT_MARGIN)
        return job_id

    def _gpu(self, document: WorkflowDocument, plan: Plan, task_token: str) -> str:
        request = self.gpu_request(document, plan, task_token)  # refuses before anything is written
        self._put_plan(plan)
        return self.batch.submit(request)

    def _put_plan(self, plan: Plan) -> None:
        os.makedirs(self.scratch_root, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="plan-", dir=self.scratch_root) as scratch:
            path = os.path.join(scratch, "plan.json")
            with open(path, "w", encoding="utf-8") as file:
                json.dump(plan.to_dict(), file, sort_keys=True)
            self.storage.upload_file(plan_key(plan.video_id), path, "application/json")
