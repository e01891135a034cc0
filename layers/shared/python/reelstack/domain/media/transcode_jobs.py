"""The external transcode backends' jobs, as data: what is submitted and what the workflow gets back.

- MediaConvert: a CreateJob request is `mediaconvert_job.create_job_request`; its client request token
  is derived from the waiting Task's token (`client_request_token`), so a retried submission within a
  minute gets the first job back. When the job completes, `mediaconvert_outputs` is the workflow's
  `outputs` (the ffmpeg Lambda's shape): MediaConvert names each rendition's media playlist after the
  CMAF destination base plus the output's name modifier (`master_720p.m3u8`).
- GPU: the plan goes to `work/{video_id}/plan.json` (too large for container overrides) and
  `gpu_job_request` is the AWS Batch SubmitJob request whose environment the container reads
  (`infra/containers/gpu-transcoder/run_job.py`): VIDEO_ID, PLAN_KEY, SOURCE_KEY, TASK_TOKEN.
- GPU, high-heat (the heat workflow's EncodeWithGpu): the heat job Plan wrote to
  `work/{video_id}/heat-{codec}.json` (`heat_job_key`); `heat_gpu_job_request` is its SubmitJob
  request, the same environment with JOB_KIND=heat and PLAN_KEY naming the heat job.

Both are named per waiting Task (`attempt_job_name`), which makes their submission idempotent.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from reelstack.domain.media.mediaconvert_events import JobStateChange, waiting_ref
from reelstack.domain.media.mediaconvert_job import HLS_EXTENSION
from reelstack.domain.media.renditions import Plan, Rendition

MEDIACONVERT_BACKEND = "mediaconvert"
GPU_BACKEND = "gpu"
BACKENDS = (MEDIACONVERT_BACKEND, GPU_BACKEND)
WORK_PREFIX = "work/"
MAX_JOB_NAME = 128  # AWS Batch: letters, digits, hyphens and underscores
ATTEMPT_DIGITS = 12  # hex digits of the task token's SHA-256 in a job's name
RESUMED_SUFFIX = "#resumed"
HEAT_JOB_KIND = "heat"  # the container's JOB_KIND for HEVC twins (the ladder's is its default)


def client_request_token(task_token: str) -> str:
    """MediaConvert's idempotency token for one waiting Task: 64 hex characters of SHA-256."""
    return hashlib.sha256(task_token.encode()).hexdigest()


def resumed_ref(job_id: str) -> str:
    """Where a resumed job is remembered (`mediaconvert#<job id>#resumed`): a redelivered event is ignored."""
    return f"{waiting_ref(job_id)}{RESUMED_SUFFIX}"


def plan_key(video_id: str) -> str:
    """The plan the GPU container reads: `work/{video_id}/plan.json` (expired by a lifecycle rule)."""
    return f"{WORK_PREFIX}{video_id}/plan.json"


def heat_job_key(video_id: str, codec: str) -> str:
    """The heat job the GPU container reads: `work/{video_id}/heat-{codec}.json` (written by Plan)."""
    return f"{WORK_PREFIX}{video_id}/heat-{codec}.json"


def batch_job_name(video_id: str, kind: str = "transcode") -> str:
    """`{kind}-{video_id}` (`transcode-...`, `heat-...`), in the characters and length AWS Batch accepts."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", f"{kind}-{video_id}")[:MAX_JOB_NAME]


def attempt_job_name(video_id: str, task_token: str, kind: str = "transcode") -> str:
    """`{kind}-{video_id}-{first 12 hex digits of the task token's SHA-256}`: one name per waiting Task.

    AWS Batch's SubmitJob has no client token, so a submission is made idempotent by its name: a retry
    of the same submission (its first answer lost) finds the job under this name and answers it instead
    of starting a second GPU job (`adapters.media.batch_jobs`). The name changes with the task token:
    Step Functions gives each attempt of a Task a new token, and a job holding an earlier attempt's
    token could never resume the execution, so a later attempt must get a job of its own."""
    digest = hashlib.sha256(task_token.encode()).hexdigest()[:ATTEMPT_DIGITS]
    return f"{batch_job_name(video_id, kind)[: MAX_JOB_NAME - ATTEMPT_DIGITS - 1]}-{digest}"


def gpu_job_request(
    plan: Plan, source_key: str, task_token: str, *, job_queue: str, job_definition: str
) -> dict[str, Any]:
    """The SubmitJob request (keyword arguments of boto3's `submit_job`) for the NVENC container.

    MEDIA_BUCKET and the container's limits come from the job definition; only the video's facts and
    the Task's token travel per job.
    """
    environment = {
        "VIDEO_ID": plan.video_id,
        "PLAN_KEY": plan_key(plan.video_id),
        "SOURCE_KEY": source_key,
        "TASK_TOKEN": task_token,
    }
    return _submit_job_request(
        attempt_job_name(plan.video_id, task_token), environment, job_queue, job_definition
    )


def heat_gpu_job_request(
    video_id: str,
    codec: str,
    source_key: str,
    task_token: str,
    *,
    job_queue: str,
    job_definition: str,
) -> dict[str, Any]:
    """The SubmitJob request for the NVENC container's high-heat job: the twins of `video_id` in
    `codec`, as Plan wrote them to `heat_job_key`, made from `source_key`, reported to `task_token`.

    Named `heat-{codec}-{video_id}-<token digest>` (`attempt_job_name`): one job per waiting Task, found
    again by a retried submission whose first answer was lost."""
    environment = {
        "JOB_KIND": HEAT_JOB_KIND,
        "VIDEO_ID": video_id,
        "PLAN_KEY": heat_job_key(video_id, codec),
        "SOURCE_KEY": source_key,
        "TASK_TOKEN": task_token,
    }
    name = attempt_job_name(video_id, task_token, f"{HEAT_JOB_KIND}-{codec}")
    return _submit_job_request(name, environment, job_queue, job_definition)


def _submit_job_request(
    name: str, environment: dict[str, str], job_queue: str, job_definition: str
) -> dict[str, Any]:
    return {
        "jobName": name,
        "jobQueue": job_queue,
        "jobDefinition": job_definition,
        "containerOverrides": {
            "environment": [{"name": key, "value": value} for key, value in environment.items()]
        },
    }


def mediaconvert_playlist_key(plan: Plan, rendition: Rendition) -> str:
    """A rendition's media playlist as MediaConvert writes it: `<prefix>master_<name>.m3u8`."""
    base = plan.master_playlist.removesuffix(HLS_EXTENSION)
    return f"{plan.output_prefix}{base}_{rendition.name}{HLS_EXTENSION}"


def _key(plan: Plan, relative: str | None) -> str | None:
    return None if relative is None else f"{plan.output_prefix}{relative}"


def mediaconvert_outputs(plan: Plan, change: JobStateChange, encode_seconds: float) -> dict[str, Any]:
    """The workflow's `outputs` for a completed MediaConvert job (what Moderate and Publish read).

    Renditions carry the planned sizes and bitrates (QVBR targets quality, not a measured rate:
    `bitrate` is the planned average, `peak_bitrate` the planned peak, audio included).
    """
    if not change.succeeded:
        raise ValueError(f"MediaConvert job {change.job_id} did not complete")
    renditions = [
        {
            "name": rendition.name,
            "width": rendition.width,
            "height": rendition.height,
            "bitrate": rendition.average_bandwidth,
            "peak_bitrate": rendition.bandwidth,
            "codec": rendition.codec,
            "codecs": rendition.codecs,
            "playlist_key": mediaconvert_playlist_key(plan, rendition),
        }
        for rendition in plan.renditions
    ]
    return {
        "backend": MEDIACONVERT_BACKEND,
        "job_id": change.job_id,
        "master_key": f"{plan.output_prefix}{plan.master_playlist}",
        "poster_key": _key(plan, plan.poster.key if plan.poster else None),
        "sprite_key": _key(plan, plan.sprite.key if plan.sprite else None),
        "sprite_index_key": _key(plan, plan.sprite.index_key if plan.sprite else None),
        "renditions": renditions,
        "duration_s": plan.source.duration_s,
        "encode_seconds": round(max(0.0, encode_seconds), 3),
    }
