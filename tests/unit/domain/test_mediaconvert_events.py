"""MediaConvert job state change events (the sample events in events/mediaconvert_events/) read into results."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from reelstack.domain.media.media import MediaInfo
from reelstack.domain.media.mediaconvert_events import (
    CANCELED_ERROR,
    FAILED_ERROR,
    JobStatus,
    parse_job_state_change,
    waiting_ref,
)
from reelstack.domain.media.mediaconvert_job import poster_capture_key, sprite_capture_keys
from reelstack.domain.media.renditions import LambdaBudget, RenditionSpec, plan_renditions
from reelstack.errors import InvalidRequest, split_coded_message

EVENTS = Path(__file__).resolve().parents[3] / "events" / "mediaconvert_events"


def sample(case: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / f"{case}.json").read_text())
    return event


def test_a_completed_job_gives_its_id_metadata_master_playlist_and_stills() -> None:
    # GIVEN the sample COMPLETE event of a CMAF + frame capture job for vid1
    event = sample("complete")
    # WHEN it is parsed
    change = parse_job_state_change(event)
    # THEN it names the job, its waiting ref, the video, and where the outputs are
    assert change.status is JobStatus.COMPLETE and change.succeeded
    assert change.job_id == event["detail"]["jobId"]
    assert change.ref == f"mediaconvert#{change.job_id}" == waiting_ref(change.job_id)
    assert change.video_id == "vid1"
    assert change.user_metadata["application"] == "reelstack"
    assert [g.type for g in change.output_groups] == ["CMAF_GROUP", "FILE_GROUP"]
    assert change.playlists == ("s3://reelstack-media-dev-1/renditions/vid1/master.m3u8",)
    assert len(change.output_files) == 2
    assert (change.error_code, change.error_message) == (None, None)
    # AND its summary carries the same facts as JSON
    output = change.summary()
    assert json.loads(json.dumps(output)) == output
    assert output["playlists"] == list(change.playlists)
    assert output["job_id"] == change.job_id


def test_the_sample_completion_names_the_stills_where_the_job_request_put_them() -> None:
    # GIVEN the plan of a 30 s 1080p source (the sample's vid1) and its completion event
    source = MediaInfo(
        30.03, 1920, 1080, 0, 1920, 1080, "16:9", 29.97, False, "h264", "aac", True, 9_000_000, None, "mp4"
    )
    plan = plan_renditions("vid1", source, RenditionSpec(), LambdaBudget())
    change = parse_job_state_change(sample("complete"))
    # WHEN the stills are looked up
    # THEN the event lists the poster and the last sprite still at the keys the request chose
    assert f"s3://reelstack-media-dev-1/{poster_capture_key(plan)}" in change.output_files
    assert f"s3://reelstack-media-dev-1/{sprite_capture_keys(plan)[-1]}" in change.output_files


def test_an_errored_job_becomes_a_coded_task_failure() -> None:
    # GIVEN the sample ERROR event
    change = parse_job_state_change(sample("error"))
    # WHEN it is parsed
    error, cause = change.task_failure()
    # THEN the failure carries MediaConvert's error code and message, under an error a Catch can match
    assert change.status is JobStatus.ERROR and not change.succeeded
    assert (change.error_code, change.error_message) == (1040, "Example error message")
    assert error == FAILED_ERROR
    code, message = split_coded_message(cause)
    assert code == "mediaconvert_1040"
    assert change.job_id in message and "Example error message" in message
    assert change.video_id == "vid2"


def test_a_canceled_job_becomes_a_canceled_task_failure() -> None:
    change = parse_job_state_change(sample("canceled"))
    error, cause = change.task_failure()
    assert change.status is JobStatus.CANCELED
    assert error == CANCELED_ERROR
    assert split_coded_message(cause)[0] == "mediaconvert_canceled"


def test_a_completed_job_is_not_a_failure() -> None:
    with pytest.raises(ValueError):
        parse_job_state_change(sample("complete")).task_failure()


def broken(change: str) -> dict[str, Any]:
    event = copy.deepcopy(sample("complete"))
    if change == "source":
        event["source"] = "aws.batch"
    elif change == "progressing":
        event["detail"]["status"] = "PROGRESSING"
    elif change == "no job id":
        del event["detail"]["jobId"]
    elif change == "no detail":
        del event["detail"]
    elif change == "metadata":
        event["detail"]["userMetadata"] = {"video_id": 7}
    elif change == "error code":
        event["detail"]["errorCode"] = "abc"
    elif change == "paths":
        event["detail"]["outputGroupDetails"][0]["playlistFilePaths"] = "s3://one"
    return event


@pytest.mark.parametrize(
    "change", ["source", "progressing", "no job id", "no detail", "metadata", "error code", "paths"]
)
def test_anything_but_a_well_formed_final_state_event_is_refused(change: str) -> None:
    # GIVEN the sample event, broken one way
    # WHEN it is parsed THEN it is refused as an invalid event
    with pytest.raises(InvalidRequest) as caught:
        parse_job_state_change(broken(change))
    assert caught.value.code == "invalid_event"
