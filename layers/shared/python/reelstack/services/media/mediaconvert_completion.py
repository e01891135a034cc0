"""A MediaConvert job finished: resume the ingest execution waiting on it.

The EventBridge rule delivers our jobs' COMPLETE, ERROR and CANCELED events. The waiting task filed
by the submit function (`mediaconvert#<job id>`) holds the task token and the plan.

- No waiting task: either the submit function has not filed it yet (a job that fails at once can
  report before CreateJob's caller has stored the token) or the job was already resumed. A job
  already resumed is remembered under `mediaconvert#<job id>#resumed`, and its redelivered event is
  logged and ignored; otherwise `DependencyFailed`, so the asynchronous invocation is retried (then
  the event goes to the function's failure queue).
- ERROR / CANCELED: SendTaskFailure (`MediaConvertJobFailed` / `MediaConvertJobCanceled`, coded cause).
- COMPLETE: the poster still is copied to the plan's poster key, the sprite's stills are tiled into
  the sprite with its WebVTT index, then SendTaskSuccess with the workflow's `outputs`. Stills that are
  missing or cannot be tiled fail the task (with the error's class and coded message); S3 trouble is
  `DependencyFailed` and retried.
- An execution that no longer waits (timed out, stopped) is logged; the task is forgotten either way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from reelstack.adapters.media.sprite_tiles import SpriteTiler, still_name
from reelstack.adapters.media.transcoder import content_type
from reelstack.adapters.media.waiting_tasks import WaitingTask, WaitingTasks
from reelstack.adapters.media.workflow import TaskCallbacks
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.clock import iso, utc_now
from reelstack.domain.media.hls import sprite_index
from reelstack.domain.media.mediaconvert_events import JobStateChange, parse_job_state_change
from reelstack.domain.media.mediaconvert_job import poster_capture_key, sprite_capture_keys
from reelstack.domain.media.renditions import Plan
from reelstack.domain.media.transcode_jobs import mediaconvert_outputs, resumed_ref
from reelstack.errors import DependencyFailed, Gone, InvalidRequest, NotFound, ReelstackError
from reelstack.observability import logger
from reelstack.services.media.transcode import cache_control

RESUMED_KIND = "mediaconvert_resumed"
REMEMBER_RESUMED = timedelta(days=2)  # longer than EventBridge and Lambda keep retrying an event
DOWNLOAD_PARALLELISM = 8


def resumed_marker(task: WaitingTask, job_id: str, now: datetime) -> WaitingTask:
    """What remembers a resumed job: no token, only the video and when."""
    return WaitingTask(resumed_ref(job_id), RESUMED_KIND, task.video_id, "", iso(now), {"job_id": job_id})


def encode_seconds(task: WaitingTask, now: datetime) -> float:
    """From filing the job to its completion event: MediaConvert's queueing and encoding."""
    return (now - datetime.fromisoformat(task.created_at)).total_seconds()


class MediaConvertCompletion:
    def __init__(
        self,
        storage: MediaStorage,
        waiting: WaitingTasks,
        callbacks: TaskCallbacks,
        tiler: SpriteTiler,
        scratch_root: str = "/tmp",
    ) -> None:
        self.storage = storage
        self.waiting = waiting
        self.callbacks = callbacks
        self.tiler = tiler
        self.scratch_root = scratch_root

    def resume(self, event: Mapping[str, Any]) -> dict[str, Any]:
        change = parse_job_state_change(event)
        answer = {"job_id": change.job_id, "status": change.status.value, "video_id": change.video_id}
        task = self.waiting.get(change.ref)
        if task is None:
            if self.waiting.get(resumed_ref(change.job_id)) is not None:
                logger.info("MediaConvert job already resumed; event ignored", extra=answer)
                return answer | {"result": "ignored"}
            raise DependencyFailed(
                f"no waiting task for MediaConvert job {change.job_id} (yet)", code="waiting_task_not_found"
            )
        if change.succeeded:
            result = self._complete(change, task)
        else:
            error, cause = change.task_failure()
            result = self._report(task, lambda: self.callbacks.fail(task.task_token, error, cause), "failed")
        self._forget(task, change.job_id)
        logger.info("MediaConvert job resumed", extra=answer | {"result": result})
        return answer | {"result": result}

    def _complete(self, change: JobStateChange, task: WaitingTask) -> str:
        try:
            plan = Plan.from_dict(dict(task.details.get("plan") or {}))
            self.finish_stills(plan)
        except DependencyFailed:
            raise
        except ReelstackError as exc:
            logger.warning("finishing the MediaConvert outputs failed", extra={"job_id": change.job_id})
            error, cause = type(exc).__name__, str(exc)
            return self._report(task, lambda: self.callbacks.fail(task.task_token, error, cause), "failed")
        outputs = mediaconvert_outputs(plan, change, encode_seconds(task, utc_now()))
        return self._report(task, lambda: self.callbacks.succeed(task.task_token, outputs), "succeeded")

    def _report(self, task: WaitingTask, send: Callable[[], None], result: str) -> str:
        try:
            send()
        except Gone:
            logger.warning("the execution no longer waits for this job", extra={"video_id": task.video_id})
            return "no_longer_waiting"
        return result

    def _forget(self, task: WaitingTask, job_id: str) -> None:
        now = utc_now()
        self.waiting.put(resumed_marker(task, job_id, now), expires_at=now + REMEMBER_RESUMED)
        self.waiting.remove(task)

    # -- poster and sprite from MediaConvert's stills ----------------------------------------------
    def finish_stills(self, plan: Plan) -> None:
        """The poster at its planned key; the sprite tiled from its stills, and its WebVTT index."""
        poster_source = poster_capture_key(plan)
        if plan.poster is not None and poster_source is not None:
            if self.storage.head(poster_source) is None:
                raise NotFound(
                    f"MediaConvert wrote no poster still {poster_source}", code="mediaconvert_output_missing"
                )
            self.storage.copy(poster_source, f"{plan.output_prefix}{plan.poster.key}")
        if plan.sprite is not None:
            os.makedirs(self.scratch_root, exist_ok=True)
            scratch = tempfile.mkdtemp(prefix=f"sprite-{plan.video_id[:32]}-", dir=self.scratch_root)
            try:
                self._sprite(plan, scratch)
            finally:
                shutil.rmtree(scratch, ignore_errors=True)

    def _sprite(self, plan: Plan, scratch: str) -> None:
        sprite = plan.sprite
        if sprite is None:
            raise InvalidRequest("the plan has no sprite", code="invalid_plan")
        stills = os.path.join(scratch, "stills")
        os.makedirs(stills)
        keys = sprite_capture_keys(plan)

        def download(index: int) -> int:
            return self.storage.download_to(keys[index], os.path.join(stills, still_name(index)))

        with ThreadPoolExecutor(max_workers=DOWNLOAD_PARALLELISM) as pool:
            list(pool.map(download, range(len(keys))))  # the first failure is raised here
        image = os.path.join(scratch, sprite.key)
        self.tiler.tile(sprite, stills, image)
        index = os.path.join(scratch, sprite.index_key)
        with open(index, "w", encoding="utf-8") as file:
            file.write(sprite_index(sprite, plan.source.duration_s))
        for key, path in ((sprite.key, image), (sprite.index_key, index)):
            self.storage.upload_file(
                f"{plan.output_prefix}{key}", path, content_type(key), cache_control(key)
            )
