"""The external transcode backends' jobs as data: the Batch job the GPU container reads, MediaConvert's
idempotency token, the refs task tokens are filed under, and the outputs a completed MediaConvert job
hands the workflow (checked against the sample events in events/)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import botocore.session
import pytest
from botocore.validate import ParamValidator

from reelstack.domain.media.mediaconvert_events import parse_job_state_change, waiting_ref
from reelstack.domain.media.mediaconvert_job import create_job_request, destination_for
from reelstack.domain.media.renditions import Plan
from reelstack.domain.media.transcode_jobs import (
    attempt_job_name,
    batch_job_name,
    client_request_token,
    gpu_job_request,
    mediaconvert_outputs,
    mediaconvert_playlist_key,
    plan_key,
    resumed_ref,
)
from reelstack.domain.videos import Playback
from tests.support.modules import load_module

ROOT = Path(__file__).resolve().parents[3]
EVENTS = ROOT / "events"
RUN_JOB = ROOT / "infra" / "containers" / "gpu-transcoder" / "run_job.py"


def sample(path: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / path).read_text())
    return event


def sample_plan(backend: str) -> Plan:
    return Plan.from_dict(sample(f"transcode_submit/{backend}.json")["document"]["plan"])


def run_job_module() -> Any:
    return load_module("gpu_run_job", RUN_JOB)


def test_the_client_request_token_is_a_stable_64_character_digest_of_the_task_token() -> None:
    # GIVEN two task tokens
    first, second = "AQCEAAAAKgAAAAMAAAAAAAAAAb-one", "AQCEAAAAKgAAAAMAAAAAAAAAAb-two"
    # WHEN their MediaConvert client request tokens are derived
    token = client_request_token(first)
    # THEN the same task token always gives the same 64 hex characters, another gives another
    assert token == client_request_token(first) != client_request_token(second)
    assert len(token) == 64 and all(c in "0123456789abcdef" for c in token)
    # AND CreateJob takes it (a retried submission within a minute returns the first job)
    plan = sample_plan("mediaconvert")
    request = create_job_request(
        plan,
        source_uri="s3://bucket/originals/vid1",
        destination_uri=destination_for("bucket", plan),
        role_arn="arn:aws:iam::111122223333:role/mc",
        queue_arn=None,
        user_metadata={"application": "reelstack", "stage": "dev"},
        client_request_token=token,
    )
    assert request["ClientRequestToken"] == token


def test_the_gpu_job_carries_exactly_what_the_container_reads() -> None:
    # GIVEN the GPU sample plan and a task token
    plan = sample_plan("gpu")
    # WHEN the Batch job is built
    request = gpu_job_request(
        plan, "originals/vid1", "token-1", job_queue="arn:queue", job_definition="arn:definition:3"
    )
    # THEN botocore's SubmitJob model accepts it
    model = botocore.session.get_session().get_service_model("batch").operation_model("SubmitJob")
    report = ParamValidator().validate(request, model.input_shape)
    assert not report.has_errors(), report.generate_report()
    # AND its environment is the video, where its plan is, its original and the token
    environment = {item["name"]: item["value"] for item in request["containerOverrides"]["environment"]}
    assert environment == {
        "VIDEO_ID": "vid1",
        "PLAN_KEY": "work/vid1/plan.json",
        "SOURCE_KEY": "originals/vid1",
        "TASK_TOKEN": "token-1",
    }
    # AND its name is the video's and the waiting Task's (a retried submission finds its job by it)
    assert request["jobName"] == attempt_job_name("vid1", "token-1")
    assert re.fullmatch(r"transcode-vid1-[0-9a-f]{12}", request["jobName"])
    assert attempt_job_name("vid1", "token-2") != request["jobName"]
    assert len(attempt_job_name("x" * 200, "token-1")) == 128
    assert (request["jobQueue"], request["jobDefinition"]) == ("arn:queue", "arn:definition:3")
    # AND the container reads that environment, with the bucket from its job definition
    job = run_job_module().JobEnv.from_environ(environment | {"MEDIA_BUCKET": "media"})
    assert (job.video_id, job.plan_key, job.source_key, job.task_token) == (
        "vid1",
        plan_key("vid1"),
        "originals/vid1",
        "token-1",
    )


@pytest.mark.parametrize(
    ("video_id", "expected"),
    [
        ("4f1c2a9e8b7d4c3fa1e2d3c4b5a69788", "transcode-4f1c2a9e8b7d4c3fa1e2d3c4b5a69788"),
        ("odd id/with:chars.", "transcode-odd-id-with-chars-"),
        ("x" * 200, "transcode-" + "x" * 118),
    ],
)
def test_batch_job_names_use_only_what_batch_accepts(video_id: str, expected: str) -> None:
    # GIVEN a video id WHEN its job is named THEN letters, digits, hyphens, underscores, <= 128 characters
    assert batch_job_name(video_id) == expected


def test_a_resumed_job_is_remembered_apart_from_its_waiting_task() -> None:
    # GIVEN a MediaConvert job id WHEN its refs are made THEN the "resumed" one is distinct but related
    assert waiting_ref("job-1") == "mediaconvert#job-1"
    assert resumed_ref("job-1") == "mediaconvert#job-1#resumed"


def test_a_completed_job_gives_the_outputs_publish_reads() -> None:
    # GIVEN the sample COMPLETE event and the plan its job was made from
    change = parse_job_state_change(sample("mediaconvert_events/complete.json"))
    plan = sample_plan("mediaconvert")
    # WHEN the workflow's outputs are made
    outputs = mediaconvert_outputs(plan, change, encode_seconds=95.4321)
    # THEN they name the master playlist MediaConvert wrote, the poster, the sprite and its index
    master_uri = change.playlists[0]
    assert master_uri.endswith("/" + outputs["master_key"])
    assert outputs["master_key"] == "renditions/vid1/master.m3u8"
    assert outputs["poster_key"] == "renditions/vid1/poster.jpg"
    assert (outputs["sprite_key"], outputs["sprite_index_key"]) == (
        "renditions/vid1/sprite.jpg",
        "renditions/vid1/sprite.vtt",
    )
    assert outputs["backend"] == "mediaconvert" and outputs["job_id"] == change.job_id
    assert outputs["encode_seconds"] == 95.432 and outputs["duration_s"] == plan.source.duration_s
    # AND each rendition as planned, with MediaConvert's media playlist name
    assert [r["name"] for r in outputs["renditions"]] == ["1080p", "720p", "480p"]
    top = outputs["renditions"][0]
    assert top == {
        "name": "1080p",
        "width": 1920,
        "height": 1080,
        "bitrate": plan.renditions[0].average_bandwidth,
        "peak_bitrate": plan.renditions[0].bandwidth,
        "codec": "h264",
        "codecs": plan.renditions[0].codecs,
        "playlist_key": "renditions/vid1/master_1080p.m3u8",
    }
    assert mediaconvert_playlist_key(plan, plan.renditions[1]) == "renditions/vid1/master_720p.m3u8"
    # AND Publish can make the video's playback record from them
    playback = Playback.from_dict(outputs | {"duration_s": plan.source.duration_s})
    assert playback.master_key == outputs["master_key"] and len(playback.renditions) == 3


def test_a_failed_job_has_no_outputs() -> None:
    # GIVEN the sample ERROR event WHEN outputs are asked for THEN it is refused
    change = parse_job_state_change(sample("mediaconvert_events/error.json"))

    with pytest.raises(ValueError, match="did not complete"):
        mediaconvert_outputs(sample_plan("mediaconvert"), change, 1.0)


def test_a_plan_without_poster_or_sprite_has_no_image_keys() -> None:
    # GIVEN a plan with neither poster nor sprite
    data = sample("transcode_submit/mediaconvert.json")["document"]["plan"] | {"poster": None, "sprite": None}
    change = parse_job_state_change(sample("mediaconvert_events/complete.json"))
    # WHEN its outputs are made THEN the image keys are null (Publish keeps them optional)
    outputs = mediaconvert_outputs(Plan.from_dict(data), change, 1.0)

    assert outputs["poster_key"] is None and outputs["sprite_key"] is None
    assert outputs["sprite_index_key"] is None
