"""A rendition plan as a MediaConvert CreateJob request, checked against botocore's service model."""

from __future__ import annotations

import copy
from fractions import Fraction
from typing import Any

import botocore.session
import pytest
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import ParamValidator

from reelstack.domain.media.media import MediaInfo
from reelstack.domain.media.mediaconvert_job import (
    create_job_request,
    destination_for,
    poster_capture_key,
    sprite_capture_keys,
)
from reelstack.domain.media.renditions import LambdaBudget, Plan, RenditionSpec, SpriteSpec, plan_renditions
from reelstack.errors import InvalidRequest
from tests.support.media_info import media

BUCKET = "reelstack-media-dev-1"
ROLE = "arn:aws:iam::111122223333:role/reelstack-dev-mediaconvert"
QUEUE = "arn:aws:mediaconvert:us-east-1:111122223333:queues/Default"
METADATA = {"application": "reelstack", "stage": "dev"}

MODEL = botocore.session.get_session().get_service_model("mediaconvert")
CREATE_JOB = MODEL.operation_model("CreateJob").input_shape


SOURCES = {
    "landscape 1080p30 with audio": media(1920, 1080, 30.0),
    "portrait 720x1280 (rotated) with audio": media(1280, 720, 30.0, rotation=90),
    "59.94 fps without audio": media(1920, 1080, 59.94, audio=False),
    "4K UHD": media(3840, 2160, 30.0, duration_s=120.0),
}


def plan_for(source: MediaInfo, spec: RenditionSpec | None = None) -> Plan:
    return plan_renditions("vid1", source, spec or RenditionSpec(), LambdaBudget())


def request_for(plan: Plan, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "source_uri": f"s3://{BUCKET}/originals/{plan.video_id}",
        "destination_uri": destination_for(BUCKET, plan),
        "role_arn": ROLE,
        "queue_arn": QUEUE,
        "user_metadata": dict(METADATA),
    } | overrides
    return create_job_request(plan, **arguments)


def enum_errors(value: Any, shape: Shape, path: str = "") -> list[str]:
    """Values outside the model's enums (botocore's ParamValidator does not check enums)."""
    if isinstance(shape, StructureShape) and isinstance(value, dict):
        return [
            error
            for name, item in value.items()
            if name in shape.members
            for error in enum_errors(item, shape.members[name], f"{path}.{name}")
        ]
    if isinstance(shape, ListShape) and isinstance(value, list):
        return [e for i, item in enumerate(value) for e in enum_errors(item, shape.member, f"{path}[{i}]")]
    if isinstance(shape, MapShape) and isinstance(value, dict):
        return [e for key, item in value.items() for e in enum_errors(item, shape.value, f"{path}.{key}")]
    enum = getattr(shape, "enum", None)
    if enum and value not in enum:
        return [f"{path}: {value!r} is not one of {enum}"]
    return []


def model_errors(request: dict[str, Any]) -> str:
    report = ParamValidator().validate(request, CREATE_JOB)
    return "\n".join(filter(None, [report.generate_report(), *enum_errors(request, CREATE_JOB)]))


def cmaf(request: dict[str, Any]) -> dict[str, Any]:
    (group,) = [
        g
        for g in request["Settings"]["OutputGroups"]
        if g["OutputGroupSettings"]["Type"] == "CMAF_GROUP_SETTINGS"
    ]
    return group


def stills(request: dict[str, Any]) -> dict[str, Any]:
    (group,) = [
        g
        for g in request["Settings"]["OutputGroups"]
        if g["OutputGroupSettings"]["Type"] == "FILE_GROUP_SETTINGS"
    ]
    return group


def video_outputs(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in cmaf(request)["Outputs"] if "VideoDescription" in o]


def audio_outputs(request: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in cmaf(request)["Outputs"] if "AudioDescriptions" in o]


# --- the service model accepts every sample ----------------------------------------------------------


@pytest.mark.parametrize("name", SOURCES)
def test_every_sample_request_is_valid_for_the_mediaconvert_service_model(name: str) -> None:
    # GIVEN the plan for a sample source
    plan = plan_for(SOURCES[name])
    # WHEN it becomes a CreateJob request
    request = request_for(plan)
    # THEN botocore's validator and the model's enums find nothing wrong
    assert model_errors(request) == ""


def test_the_validator_is_live_it_reports_a_broken_request() -> None:
    # GIVEN a valid request, broken three ways: no role, a 10 px height, an unknown codec level
    request = copy.deepcopy(request_for(plan_for(SOURCES["landscape 1080p30 with audio"])))
    del request["Role"]
    first = video_outputs(request)[0]["VideoDescription"]
    first["Height"] = 10
    first["CodecSettings"]["H264Settings"]["CodecLevel"] = "LEVEL_9"
    # WHEN it is validated
    errors = model_errors(request)
    # THEN each fault is reported
    assert 'Missing required parameter in input: "Role"' in errors
    assert "VideoDescription.Height, value: 10" in errors
    assert "'LEVEL_9' is not one of" in errors


# --- the outputs are the plan's renditions -----------------------------------------------------------


@pytest.mark.parametrize("name", SOURCES)
def test_one_video_output_per_rendition_with_its_size_bitrates_rate_and_aligned_gop(name: str) -> None:
    # GIVEN a sample plan
    plan = plan_for(SOURCES[name])
    # WHEN it becomes a request
    outputs = video_outputs(request_for(plan))
    # THEN each rendition has one video-only output, in order, encoded as the plan says
    assert len(outputs) == len(plan.renditions)
    for rendition, output in zip(plan.renditions, outputs, strict=True):
        video = output["VideoDescription"]
        h264 = video["CodecSettings"]["H264Settings"]
        assert output["NameModifier"] == f"_{rendition.name}"
        assert "AudioDescriptions" not in output
        assert (video["Width"], video["Height"]) == (rendition.width, rendition.height)
        assert h264["RateControlMode"] == "QVBR"
        assert 1 <= h264["QvbrSettings"]["QvbrQualityLevel"] <= 10
        assert h264["MaxBitrate"] == rendition.max_bitrate_kbps * 1000
        assert h264["HrdBufferSize"] == rendition.buffer_kbps * 1000
        assert Fraction(h264["FramerateNumerator"], h264["FramerateDenominator"]) == Fraction(
            rendition.frame_rate_fraction
        )
        assert h264["CodecLevel"] == "LEVEL_" + rendition.level.removesuffix(".0").replace(".", "_")
        assert h264["CodecProfile"] == rendition.profile.upper()
        # keyframes only on the segment cadence: closed GOPs of segment_seconds, no scene-cut I-frames
        assert (h264["GopSize"], h264["GopSizeUnits"]) == (plan.segment_seconds, "SECONDS")
        assert h264["GopClosedCadence"] >= 1
        assert h264["SceneChangeDetect"] == "DISABLED"
        assert h264["MinIInterval"] == 0


def test_the_portrait_source_keeps_portrait_sizes_and_is_rotated_by_mediaconvert() -> None:
    # GIVEN a phone clip coded 1280x720 with a 90 degree rotation
    plan = plan_for(SOURCES["portrait 720x1280 (rotated) with audio"])
    # WHEN it becomes a request
    request = request_for(plan)
    # THEN outputs are portrait (taller than wide) and the input is rotated upright by its metadata
    assert all(
        o["VideoDescription"]["Height"] > o["VideoDescription"]["Width"] for o in video_outputs(request)
    )
    assert request["Settings"]["Inputs"][0]["VideoSelector"]["Rotate"] == "AUTO"


def test_a_source_with_audio_gets_one_aac_output_that_every_video_output_references() -> None:
    # GIVEN a plan with an audio track
    plan = plan_for(SOURCES["landscape 1080p30 with audio"])
    assert plan.audio is not None
    # WHEN it becomes a request
    request = request_for(plan)
    # THEN one audio-only AAC output at the planned bitrate and rate, in the group the videos name
    (audio,) = audio_outputs(request)
    aac = audio["AudioDescriptions"][0]["CodecSettings"]["AacSettings"]
    assert "VideoDescription" not in audio
    assert aac["Bitrate"] == plan.audio.bitrate_kbps * 1000
    assert aac["SampleRate"] == plan.audio.sample_rate_hz
    assert aac["CodingMode"] == "CODING_MODE_2_0"
    group = audio["ContainerSettings"]["CmfcSettings"]["AudioGroupId"]
    assert all(
        o["ContainerSettings"]["CmfcSettings"]["AudioRenditionSets"] == group for o in video_outputs(request)
    )
    assert (
        audio["AudioDescriptions"][0]["AudioSourceName"] in request["Settings"]["Inputs"][0]["AudioSelectors"]
    )


def test_a_source_without_audio_gets_no_audio_output_or_selector() -> None:
    # GIVEN the silent 59.94 fps source
    plan = plan_for(SOURCES["59.94 fps without audio"])
    # WHEN it becomes a request
    request = request_for(plan)
    # THEN there is nothing audio in it, and the video outputs name no audio group
    assert plan.audio is None
    assert audio_outputs(request) == []
    assert "AudioSelectors" not in request["Settings"]["Inputs"][0]
    assert all(o["ContainerSettings"]["CmfcSettings"] == {} for o in video_outputs(request))


# --- the package: master playlist, segments ----------------------------------------------------------


def test_the_cmaf_group_writes_the_master_playlist_at_the_plans_name_with_one_gop_segments() -> None:
    # GIVEN a plan with 2 s segments
    plan = plan_for(SOURCES["landscape 1080p30 with audio"])
    # WHEN it becomes a request
    settings = cmaf(request_for(plan))["OutputGroupSettings"]["CmafGroupSettings"]
    # THEN MediaConvert's "<destination>.m3u8" is the plan's master playlist, HLS only
    assert settings["Destination"] + ".m3u8" == f"s3://{BUCKET}/{plan.output_prefix}{plan.master_playlist}"
    assert (settings["WriteHlsManifest"], settings["WriteDashManifest"]) == ("ENABLED", "DISABLED")
    # AND segments are whole GOPs of segment_seconds, with exact durations in the playlist
    assert settings["SegmentLength"] == plan.segment_seconds
    assert settings["SegmentLengthControl"] == "GOP_MULTIPLE"
    assert settings["FragmentLength"] == settings["SegmentLength"]
    # AND each output is one file addressed by byte ranges (two S3 objects per rendition)
    assert settings["SegmentControl"] == "SINGLE_FILE"
    assert settings["ManifestDurationFormat"] == "FLOATING_POINT"


def test_a_fractional_segment_length_is_rounded_down_and_stretched_to_one_gop() -> None:
    # GIVEN 2.5 s segments (MediaConvert's SegmentLength is whole seconds)
    plan = plan_for(SOURCES["landscape 1080p30 with audio"], RenditionSpec(segment_seconds=2.5))
    # WHEN it becomes a request
    request = request_for(plan)
    # THEN segments are 2 s rounded up to the next 2.5 s GOP, still valid for the model
    settings = cmaf(request)["OutputGroupSettings"]["CmafGroupSettings"]
    assert (settings["SegmentLength"], settings["SegmentLengthControl"]) == (2, "GOP_MULTIPLE")
    assert {
        o["VideoDescription"]["CodecSettings"]["H264Settings"]["GopSize"] for o in video_outputs(request)
    } == {2.5}
    assert model_errors(request) == ""


# --- stills: poster and sprite -----------------------------------------------------------------------


def test_the_poster_is_the_capture_at_the_planned_time_at_the_top_renditions_size() -> None:
    # GIVEN a 30 s source, whose poster is planned at 1 s
    plan = plan_for(SOURCES["landscape 1080p30 with audio"])
    assert plan.poster is not None
    # WHEN it becomes a request
    group = stills(request_for(plan))
    (poster,) = [o for o in group["Outputs"] if o["NameModifier"] == "-poster"]
    capture = poster["VideoDescription"]["CodecSettings"]["FrameCaptureSettings"]
    # THEN captures are at 0 and time_s, and the second one is the poster
    interval = Fraction(capture["FramerateDenominator"], capture["FramerateNumerator"])
    assert interval == Fraction(str(plan.poster.time_s))
    assert capture["MaxCaptures"] == 2
    assert poster_capture_key(plan) == f"{plan.output_prefix}stills/frame-poster.0000001.jpg"
    assert (poster["VideoDescription"]["Width"], poster["VideoDescription"]["Height"]) == (
        plan.poster.width,
        plan.poster.height,
    )
    assert group["OutputGroupSettings"]["FileGroupSettings"]["Destination"].endswith("stills/frame")


def test_the_sprite_stills_are_one_capture_per_interval_at_thumb_size() -> None:
    # GIVEN a 120 s 4K source with the default 10x10 sprite every 2 s
    plan = plan_for(SOURCES["4K UHD"])
    assert plan.sprite is not None
    # WHEN it becomes a request
    (sprite,) = [o for o in stills(request_for(plan))["Outputs"] if o["NameModifier"] == "-sprite"]
    capture = sprite["VideoDescription"]["CodecSettings"]["FrameCaptureSettings"]
    # THEN there are `count` captures, one every interval, at the thumb size
    assert Fraction(capture["FramerateDenominator"], capture["FramerateNumerator"]) == Fraction(
        str(plan.sprite.interval_s)
    )
    assert capture["MaxCaptures"] == plan.sprite.count
    assert (sprite["VideoDescription"]["Width"], sprite["VideoDescription"]["Height"]) == (
        plan.sprite.thumb_width,
        plan.sprite.thumb_height,
    )
    keys = sprite_capture_keys(plan)
    assert len(keys) == plan.sprite.count
    assert keys[0].endswith("stills/frame-sprite.0000000.jpg")


def test_sprite_thumbs_below_mediaconvert_minimum_are_captured_larger_with_their_aspect() -> None:
    # GIVEN 16 px wide sprite thumbs, below MediaConvert's 32 px minimum
    plan = plan_for(SOURCES["landscape 1080p30 with audio"], RenditionSpec(sprite=SpriteSpec(thumb_width=16)))
    assert plan.sprite is not None
    # WHEN it becomes a request
    request = request_for(plan)
    (sprite,) = [o for o in stills(request)["Outputs"] if o["NameModifier"] == "-sprite"]
    width, height = sprite["VideoDescription"]["Width"], sprite["VideoDescription"]["Height"]
    # THEN the capture is at least 32 px a side, keeps the thumb's aspect (to even pixels), and is valid
    assert min(width, height) >= 32
    assert abs(width / height - plan.sprite.thumb_width / plan.sprite.thumb_height) < 2 / height
    assert model_errors(request) == ""


def test_no_stills_group_when_neither_poster_nor_sprite_is_planned() -> None:
    plan = plan_for(SOURCES["landscape 1080p30 with audio"], RenditionSpec(poster=False, sprite=None))
    request = request_for(plan)
    assert [g["OutputGroupSettings"]["Type"] for g in request["Settings"]["OutputGroups"]] == [
        "CMAF_GROUP_SETTINGS"
    ]
    assert poster_capture_key(plan) is None
    assert sprite_capture_keys(plan) == []


# --- job-level settings ------------------------------------------------------------------------------


def test_the_job_carries_role_queue_metadata_status_interval_and_preferred_acceleration() -> None:
    # GIVEN a plan and caller metadata
    plan = plan_for(SOURCES["landscape 1080p30 with audio"])
    # WHEN it becomes a request with a queue and a request token
    request = request_for(plan, client_request_token="vid1-attempt-1")
    # THEN the job-level settings are set, and the metadata names the video for the completion event
    assert request["Role"] == ROLE
    assert request["Queue"] == QUEUE
    assert request["UserMetadata"] == {**METADATA, "video_id": "vid1"}
    assert request["StatusUpdateInterval"] in MODEL.shape_for("StatusUpdateInterval").enum
    assert request["AccelerationSettings"] == {"Mode": "PREFERRED"}
    assert request["ClientRequestToken"] == "vid1-attempt-1"
    assert model_errors(request) == ""


def test_without_a_queue_the_job_goes_to_the_default_queue() -> None:
    request = request_for(plan_for(SOURCES["4K UHD"]), queue_arn=None)
    assert "Queue" not in request
    assert "ClientRequestToken" not in request


@pytest.mark.parametrize(
    "overrides",
    [
        {"source_uri": "https://example.com/video.mp4"},
        {"destination_uri": f"s3://{BUCKET}/elsewhere/"},
        {"user_metadata": {f"k{i}": "v" for i in range(10)}},
        {"user_metadata": {"video_id": "other"}},
        {"client_request_token": "x" * 65},
    ],
)
def test_bad_arguments_are_refused_with_a_clear_code(overrides: dict[str, Any]) -> None:
    plan = plan_for(SOURCES["landscape 1080p30 with audio"])
    with pytest.raises(InvalidRequest) as caught:
        request_for(plan, **overrides)
    assert caught.value.code == "invalid_mediaconvert_job"


def test_a_level_beyond_mediaconverts_h264_levels_is_refused() -> None:
    # GIVEN 4K at 120 fps, which needs H.264 level 6 (MediaConvert stops at 5.2)
    plan = plan_for(media(3840, 2160, 120.0), RenditionSpec(ladder=(2160,), max_frame_rate=120))
    assert plan.renditions[0].level.startswith("6")
    # WHEN it becomes a request THEN it is refused, naming the backend's limit
    with pytest.raises(InvalidRequest) as caught:
        request_for(plan)
    assert caught.value.code == "mediaconvert_unsupported"
    assert "level 6" in caught.value.message
