"""The GPU transcoder container's entry point: one AWS Batch job per video, started by Step Functions.

Environment: VIDEO_ID, PLAN_KEY (the plan's JSON in the media bucket), SOURCE_KEY, MEDIA_BUCKET,
JOB_KIND (`ladder`, the default: ingest's H.264 ladder; `heat`: the high-heat workflow's HEVC twins,
PLAN_KEY naming the heat job `services.media.heat_encode.HeatJob`), TASK_TOKEN (of the waiting Step Functions task: the submit function or a
`batch:submitJob.waitForTaskToken` state puts it in the container's environment); optional HEARTBEAT_SECONDS
(default 60), FFMPEG_TIMEOUT_SECONDS (default 3 h), WORK_DIR (default the system temp folder).

1. Read the plan and download the original; probe its first video stream (ffprobe) to decide whether
   decoded frames can stay in GPU memory (`gpu_command.frames_stay_on_gpu`).
2. Run `gpu_command.nvenc_ladder_command` through the ffmpeg Lambda's `FfmpegTranscoder`, which checks
   every output, measures bitrates and writes the master playlist (`reelstack.domain.media.hls`) and the
   sprite's WebVTT index: the GPU and the Lambda produce the same keys.
3. Upload every file under the plan's output prefix, the master playlist last (it appears only when
   everything it names is there).
4. SendTaskSuccess with what was made (the workflow's `outputs`: bucket keys of the master playlist,
   poster, sprite and index, and each rendition as measured), or SendTaskFailure with the error's
   class and coded message.
   While working, a heartbeat tells Step Functions the container is alive (the Task's HeartbeatSeconds
   ends the wait if the container dies without reporting).

A heat job (JOB_KIND=heat) runs `heat_encode.encode_twins`, the ffmpeg Lambda's Encode path, with
`heat.nvenc_hevc_command` (hevc_nvenc) as its command: the playlist-or-original source download,
checks, measured bitrates, public-tagged uploads and `outputs` are the Lambda's.

Exit status: 0 when the success was reported, 1 when a failure was reported, 2 when neither could be.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from reelstack.adapters.aws import client, error_code
from reelstack.adapters.media.encoders import NvencHevcTranscoder, NvencTranscoder, frames_on_gpu
from reelstack.adapters.media.transcoder import TranscodeOutput
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.media.backends import Backend
from reelstack.domain.media.renditions import Plan
from reelstack.errors import DependencyFailed, InvalidRequest, NotFound, ReelstackError, coded_message
from reelstack.services.media.heat_encode import HeatJob, encode_twins
from reelstack.services.media.transcode import stage_output

log = logging.getLogger("gpu-transcoder")
MAX_ERROR_CHARS = 256  # SendTaskFailure limits
MAX_CAUSE_CHARS = 32768


LADDER, HEAT = "ladder", "heat"


@dataclass(frozen=True)
class JobEnv:
    video_id: str
    plan_key: str
    source_key: str
    bucket: str
    task_token: str
    heartbeat_s: float
    ffmpeg_timeout_s: float
    work_dir: str | None
    kind: str = LADDER

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> JobEnv:
        missing = [
            n
            for n in ("VIDEO_ID", "PLAN_KEY", "SOURCE_KEY", "MEDIA_BUCKET", "TASK_TOKEN")
            if not environ.get(n)
        ]
        if missing:
            raise InvalidRequest(f"missing environment: {', '.join(missing)}", code="invalid_job")
        return cls(
            video_id=environ["VIDEO_ID"],
            plan_key=environ["PLAN_KEY"],
            source_key=environ["SOURCE_KEY"],
            bucket=environ["MEDIA_BUCKET"],
            task_token=environ["TASK_TOKEN"],
            heartbeat_s=float(environ.get("HEARTBEAT_SECONDS", "60")),
            ffmpeg_timeout_s=float(environ.get("FFMPEG_TIMEOUT_SECONDS", "10800")),
            work_dir=environ.get("WORK_DIR") or None,
            kind=_kind(environ.get("JOB_KIND") or LADDER),
        )


def _kind(kind: str) -> str:
    if kind not in (LADDER, HEAT):
        raise InvalidRequest(f"unknown JOB_KIND {kind!r}", code="invalid_job")
    return kind


def _s3_call(what: str, call: Any, *args: Any, **kwargs: Any) -> Any:
    """One S3 call; its errors as domain errors (a missing object is `storage_not_found`)."""
    try:
        return call(*args, **kwargs)
    except ClientError as exc:
        code = error_code(exc)
        if code in {"404", "NoSuchKey", "NotFound"}:
            raise NotFound(f"{what}: not found", code="storage_not_found") from exc
        raise DependencyFailed(f"{what} failed: {code or exc}") from exc
    except BotoCoreError as exc:
        raise DependencyFailed(f"{what} failed: {exc}") from exc


def load_plan(s3: Any, env: JobEnv) -> Plan:
    body = _s3_call(f"reading the plan {env.plan_key}", s3.get_object, Bucket=env.bucket, Key=env.plan_key)[
        "Body"
    ].read()
    try:
        plan = Plan.from_dict(json.loads(body))
    except json.JSONDecodeError as exc:
        raise InvalidRequest(f"the plan at {env.plan_key} is not JSON: {exc}", code="invalid_plan") from None
    if plan.video_id != env.video_id:
        raise InvalidRequest(f"the plan is for {plan.video_id}, not {env.video_id}", code="invalid_plan")
    return plan


def upload(s3: Any, env: JobEnv, plan: Plan, made: TranscodeOutput) -> None:
    """Every file under the output prefix; `made.files` ends with the master playlist."""
    for file in made.files:
        key = f"{plan.output_prefix}{file.key}"
        extra = {"ContentType": file.content_type}
        _s3_call(f"uploading {key}", s3.upload_file, file.path, env.bucket, key, ExtraArgs=extra)


@contextmanager
def heartbeats(sfn: Any, token: str, every_s: float) -> Iterator[None]:
    """SendTaskHeartbeat every `every_s` until the block ends (stops if the task no longer waits)."""
    done = threading.Event()

    def beat() -> None:
        while not done.wait(every_s):
            try:
                sfn.send_task_heartbeat(taskToken=token)
            except ClientError as exc:
                log.warning("heartbeat refused (%s): the task no longer waits", error_code(exc))
                return
            except BotoCoreError as exc:
                log.warning("heartbeat failed: %s", exc)

    thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join(timeout=5)


def load_heat_job(s3: Any, env: JobEnv) -> HeatJob:
    body = _s3_call(
        f"reading the heat job {env.plan_key}", s3.get_object, Bucket=env.bucket, Key=env.plan_key
    )["Body"].read()
    try:
        job = HeatJob.from_dict(json.loads(body))
    except json.JSONDecodeError as exc:
        raise InvalidRequest(
            f"the heat job at {env.plan_key} is not JSON: {exc}", code="invalid_heat_job"
        ) from None
    if job.video_id != env.video_id or job.source.key != env.source_key:
        raise InvalidRequest(
            f"the heat job is for {job.video_id} from {job.source.key}, not {env.video_id} from {env.source_key}",
            code="invalid_heat_job",
        )
    return job


def encode_heat(env: JobEnv, s3: Any) -> dict[str, Any]:
    """The HEVC twins of a heat job on NVENC, through the Lambda's Encode path (`encode_twins`)."""
    job = load_heat_job(s3, env)
    storage = MediaStorage(env.bucket, s3)
    transcoder = NvencHevcTranscoder(timeout_s=env.ffmpeg_timeout_s)
    return encode_twins(
        storage, transcoder, job, Backend.GPU, scratch_root=env.work_dir or tempfile.gettempdir()
    )


def transcode(env: JobEnv, s3: Any) -> dict[str, Any]:
    if env.kind == HEAT:
        return encode_heat(env, s3)
    plan = load_plan(s3, env)
    with tempfile.TemporaryDirectory(prefix="reelstack-gpu-", dir=env.work_dir) as work:
        source_path, out_dir = os.path.join(work, "source"), os.path.join(work, "out")
        os.makedirs(out_dir)
        _s3_call(f"downloading {env.source_key}", s3.download_file, env.bucket, env.source_key, source_path)
        on_gpu = frames_on_gpu(source_path)
        log.info(
            "transcoding %s: %d renditions, frames on GPU: %s", env.video_id, len(plan.renditions), on_gpu
        )
        made = NvencTranscoder(on_gpu, env.ffmpeg_timeout_s).run(plan, source_path, out_dir)
        upload(s3, env, plan, made)
        log.info(
            "uploaded %d files under %s in %.1f s of encoding",
            len(made.files),
            plan.output_prefix,
            made.encode_seconds,
        )
        return stage_output(plan, made, Backend.GPU)


def failure(exc: BaseException) -> tuple[str, str]:
    """SendTaskFailure's (error, cause): the class name a Catch matches, and a coded message."""
    if isinstance(exc, ReelstackError):
        return type(exc).__name__[:MAX_ERROR_CHARS], str(exc)[:MAX_CAUSE_CHARS]
    return "TranscodeFailed", coded_message("gpu_transcoder_crashed", f"{type(exc).__name__}: {exc}")[
        :MAX_CAUSE_CHARS
    ]


def main(environ: Mapping[str, str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        env = JobEnv.from_environ(environ)
    except (InvalidRequest, ValueError):
        log.exception("the job's environment is unusable; no task token to report to")
        return 2
    sfn, s3 = client("stepfunctions"), client("s3")
    try:
        with heartbeats(sfn, env.task_token, env.heartbeat_s):
            output = transcode(env, s3)
    except Exception as exc:
        log.exception("transcoding %s failed", env.video_id)
        error, cause = failure(exc)
        try:
            sfn.send_task_failure(taskToken=env.task_token, error=error, cause=cause)
        except (ClientError, BotoCoreError):
            log.exception("SendTaskFailure failed")
            return 2
        return 1
    try:
        sfn.send_task_success(taskToken=env.task_token, output=json.dumps(output))
    except (ClientError, BotoCoreError):
        log.exception("SendTaskSuccess failed")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(os.environ))
