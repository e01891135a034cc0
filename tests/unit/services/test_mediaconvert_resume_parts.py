"""The completion side of the MediaConvert backend, without I/O: what remembers a resumed job, how long
the job took, and events refused before anything is read (the clients are never built here)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from reelstack.adapters.media.sprite_tiles import SpriteTiler, tile_command
from reelstack.adapters.media.waiting_tasks import WaitingTask, WaitingTasks
from reelstack.adapters.media.workflow import TaskCallbacks
from reelstack.adapters.media_bucket import MediaStorage
from reelstack.domain.media.renditions import SpritePlan
from reelstack.domain.media.transcode_jobs import resumed_ref
from reelstack.errors import InvalidRequest
from reelstack.services.media.mediaconvert_completion import (
    RESUMED_KIND,
    MediaConvertCompletion,
    encode_seconds,
    resumed_marker,
)

TASK = WaitingTask(
    ref="mediaconvert#job-1",
    kind="mediaconvert",
    video_id="vid1",
    task_token="secret-token",
    created_at="2025-03-14T09:26:21.000Z",
    details={"job_id": "job-1"},
)


def test_a_resumed_job_is_remembered_without_its_token() -> None:
    # GIVEN a waiting task WHEN its job is remembered as resumed THEN under its own ref, with no token
    marker = resumed_marker(TASK, "job-1", datetime(2025, 3, 14, 9, 30, tzinfo=UTC))

    assert marker.ref == resumed_ref("job-1") and marker.kind == RESUMED_KIND
    assert marker.task_token == "" and marker.video_id == "vid1"
    assert marker.created_at == "2025-03-14T09:30:00.000Z"


def test_encode_seconds_run_from_filing_to_completion() -> None:
    # GIVEN a task filed at 09:26:21 WHEN the job completes at 09:27:53.5 THEN 92.5 s
    assert encode_seconds(TASK, datetime(2025, 3, 14, 9, 27, 53, 500000, tzinfo=UTC)) == 92.5


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"source": "aws.s3", "detail-type": "Object Created", "detail": {}},
        {
            "source": "aws.mediaconvert",
            "detail-type": "MediaConvert Job State Change",
            "detail": {"jobId": "job-1", "status": "PROGRESSING"},
        },
    ],
)
def test_events_that_are_not_final_job_states_are_refused(event: dict[str, object]) -> None:
    # GIVEN an event that is not a final MediaConvert job state WHEN resumed THEN `invalid_event`
    completion = MediaConvertCompletion(
        MediaStorage("bucket"), WaitingTasks("waiting", "us-east-1"), TaskCallbacks(), SpriteTiler()
    )

    with pytest.raises(InvalidRequest) as raised:
        completion.resume(event)
    assert raised.value.code == "invalid_event"
    assert completion.storage._s3 is None and completion.callbacks._sfn is None


def test_the_sprite_is_tiled_at_the_planned_thumbnail_size() -> None:
    # GIVEN a 16-thumbnail sprite plan of 10 columns
    sprite = SpritePlan(interval_s=2.0, columns=10, rows=2, count=16, thumb_width=160, thumb_height=90)
    # WHEN the tiling command is built THEN stills are scaled to 160x90 and laid out 10x2, one image out
    command = tile_command(sprite, "/scratch/stills", "/scratch/sprite.jpg")

    assert command[command.index("-vf") + 1] == "scale=160:90,setsar=1,tile=10x2"
    assert command[command.index("-i") + 1] == "/scratch/stills/still.%07d.jpg"
    assert command[command.index("-frames:v") + 1] == "1" and command[-1] == "/scratch/sprite.jpg"
