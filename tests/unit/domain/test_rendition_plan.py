"""The Plan stage: a declared rendition spec becomes a plan for one source, and travels as JSON."""

from __future__ import annotations

import json

import pytest

from reelstack.domain.media.renditions import (
    Backend,
    LambdaBudget,
    Plan,
    RenditionSpec,
    SpriteSpec,
    parse_rendition_spec,
    plan_renditions,
)
from reelstack.errors import InvalidRequest
from tests.support.plans import Source, ladder_plan

SPEC = RenditionSpec()
BUDGET = LambdaBudget()


def plan(spec: RenditionSpec = SPEC, budget: LambdaBudget = BUDGET, **source: object) -> Plan:
    return ladder_plan(spec, budget, **source)


def sizes(p: Plan) -> list[tuple[str, int, int]]:
    return [(r.name, r.width, r.height) for r in p.renditions]


# --- the ladder: never upscale, portrait aware, even sizes -------------------------------------------


def test_a_1080p_landscape_source_gets_the_whole_ladder() -> None:
    # GIVEN a 1920x1080 source and the default ladder
    # WHEN it is planned
    result = plan()
    # THEN it gets 1080p, 720p and 480p, highest first, under renditions/{video_id}/
    assert sizes(result) == [("1080p", 1920, 1080), ("720p", 1280, 720), ("480p", 854, 480)]
    assert result.output_prefix == "renditions/vid1/"
    assert result.master_playlist == "master.m3u8"
    assert result.renditions[1].playlist == "720p/playlist.m3u8"


def test_a_720p_source_is_never_upscaled() -> None:
    assert sizes(plan(display_width=1280, display_height=720)) == [("720p", 1280, 720), ("480p", 854, 480)]


def test_a_source_below_the_lowest_rung_gets_one_rendition_at_its_own_size() -> None:
    # GIVEN a 640x360 source, smaller than the 480 rung
    # WHEN planned
    # THEN one 360p rendition at the source's size, also for odd tiny sizes (rounded down to even)
    assert sizes(plan(display_width=640, display_height=360)) == [("360p", 640, 360)]
    assert sizes(plan(display_width=321, display_height=181)) == [("180p", 320, 180)]


def test_portrait_sources_apply_the_ladder_to_the_short_side() -> None:
    # GIVEN a phone's portrait 1080x1920 source (display size, after rotation)
    # WHEN planned
    # THEN the ladder applies to the width and heights keep the aspect, in even numbers
    assert sizes(plan(display_width=1080, display_height=1920)) == [
        ("1080p", 1080, 1920),
        ("720p", 720, 1280),
        ("480p", 480, 854),
    ]


def test_a_4k_source_tops_out_at_the_ladder_maximum() -> None:
    assert sizes(plan(display_width=3840, display_height=2160))[0] == ("1080p", 1920, 1080)
    assert sizes(plan(display_width=2160, display_height=3840))[0] == ("1080p", 1080, 1920)


def test_4_3_and_square_sources_keep_their_aspect() -> None:
    assert sizes(plan(display_width=1440, display_height=1080)) == [
        ("1080p", 1440, 1080),
        ("720p", 960, 720),
        ("480p", 640, 480),
    ]
    assert sizes(plan(display_width=1080, display_height=1080)) == [
        ("1080p", 1080, 1080),
        ("720p", 720, 720),
        ("480p", 480, 480),
    ]


def test_a_source_just_short_of_a_rung_is_made_at_its_own_even_size() -> None:
    # GIVEN odd or cropped exports a few lines short of 720p
    # WHEN planned
    # THEN the 720p rung is kept at the source's size, rounded down to even: never upscaled
    assert sizes(plan(display_width=1278, display_height=718)) == [("720p", 1278, 718), ("480p", 854, 480)]
    assert sizes(plan(display_width=1279, display_height=719)) == [("720p", 1278, 718), ("480p", 854, 480)]
    # AND a source well below a rung does not get it
    assert [r.name for r in plan(display_width=1600, display_height=900).renditions] == ["720p", "480p"]


@pytest.mark.parametrize(
    ("width", "height"),
    [(1277, 719), (1919, 1079), (1079, 1919), (853, 481), (1023, 767), (999, 999), (2559, 1081), (719, 1283)],
)
def test_odd_source_sizes_never_give_odd_or_larger_outputs(width: int, height: int) -> None:
    for rendition in plan(display_width=width, display_height=height).renditions:
        assert rendition.width % 2 == 0 and rendition.height % 2 == 0
        assert rendition.width <= width and rendition.height <= height
        assert abs(rendition.width / rendition.height - width / height) < 0.01
        assert (rendition.width >= rendition.height) == (width >= height)


def test_a_ladder_with_duplicate_rungs_gives_each_size_once() -> None:
    spec = RenditionSpec(ladder=(720, 480, 720, 480))
    assert spec.ladder == (720, 480)
    assert sizes(plan(spec)) == [("720p", 1280, 720), ("480p", 854, 480)]


# --- frame rate, GOP, bitrates, codec tags ------------------------------------------------------------


@pytest.mark.parametrize(
    ("probed", "fraction", "rounded", "gop"),
    [
        (30.0, "30/1", 30.0, 60),
        (29.97, "30000/1001", 29.97, 60),
        (59.94, "60000/1001", 59.94, 120),
        (25.0, "25/1", 25.0, 50),
        (23.976, "24000/1001", 23.976, 48),
        (120.0, "60/1", 60.0, 120),
        (119.88, "60000/1001", 59.94, 120),
        (0.0, "30/1", 30.0, 60),  # the probe could not read a rate
    ],
)
def test_frame_rates_are_kept_exact_and_capped_at_60(
    probed: float, fraction: str, rounded: float, gop: int
) -> None:
    # GIVEN a source at a probed (rounded) frame rate
    # WHEN planned
    rendition = plan(frame_rate=probed).renditions[0]
    # THEN it keeps its exact rate up to the cap, and a keyframe every 2 s
    assert (rendition.frame_rate_fraction, rendition.frame_rate) == (fraction, rounded)
    assert rendition.keyframe_interval_frames == gop


def test_every_rendition_shares_the_frame_rate_and_gop_so_keyframes_align() -> None:
    result = plan(frame_rate=59.94)
    assert {(r.frame_rate_fraction, r.keyframe_interval_frames) for r in result.renditions} == {
        ("60000/1001", 120)
    }
    assert plan(parse_rendition_spec("segment=4")).renditions[0].keyframe_interval_frames == 120


def test_bitrates_follow_the_table_with_peak_and_buffer() -> None:
    result = plan(display_width=1920, display_height=1080)
    assert [(r.video_bitrate_kbps, r.max_bitrate_kbps, r.buffer_kbps) for r in result.renditions] == [
        (5000, 7500, 10000),
        (2800, 4200, 5600),
        (1400, 2100, 2800),
    ]
    assert plan(display_width=640, display_height=360).renditions[0].video_bitrate_kbps == 800


def test_60_fps_costs_more_bits_than_30_fps_at_the_same_size() -> None:
    at_30 = plan(frame_rate=30.0).renditions
    at_60 = plan(frame_rate=60.0).renditions
    for slow, fast in zip(at_30, at_60, strict=True):
        assert (fast.width, fast.height) == (slow.width, slow.height)
        assert fast.video_bitrate_kbps == slow.video_bitrate_kbps * 1.5
        assert fast.bandwidth > slow.bandwidth


def test_bitrates_follow_pixels_so_portrait_matches_landscape_and_square_costs_less() -> None:
    landscape = plan().renditions[0].video_bitrate_kbps
    assert plan(display_width=1080, display_height=1920).renditions[0].video_bitrate_kbps == landscape
    assert plan(display_width=1080, display_height=1080).renditions[0].video_bitrate_kbps < landscape


@pytest.mark.parametrize(
    ("width", "height", "fps", "level", "tag"),
    [
        (1920, 1080, 30.0, "4.0", "avc1.640028"),
        (1920, 1080, 60.0, "4.2", "avc1.64002a"),
        (1280, 720, 30.0, "3.1", "avc1.64001f"),
        (1280, 720, 60.0, "3.2", "avc1.640020"),
        (640, 480, 30.0, "3.0", "avc1.64001e"),
        (854, 480, 25.0, "3.0", "avc1.64001e"),
        # 54x30 macroblocks x 30 fps = 48,600 MB/s: above level 3.0's 40,500
        (854, 480, 30.0, "3.1", "avc1.64001f"),
    ],
)
def test_master_playlist_codecs_name_the_h264_level(
    width: int, height: int, fps: float, level: str, tag: str
) -> None:
    rendition = plan(display_width=width, display_height=height, frame_rate=fps).renditions[0]
    assert (rendition.profile, rendition.level, rendition.video_codec_tag) == ("high", level, tag)
    assert rendition.codecs == f"{tag},mp4a.40.2"


# --- audio, poster, sprite ----------------------------------------------------------------------------


def test_a_source_without_audio_gets_no_audio_plan() -> None:
    # GIVEN a silent source
    # WHEN planned
    result = plan(has_audio=False)
    # THEN no audio track, and neither CODECS nor BANDWIDTH count one
    assert result.audio is None
    top = result.renditions[0]
    assert (top.codecs, top.bandwidth, top.average_bandwidth) == ("avc1.640028", 7_500_000, 5_000_000)


def test_a_source_with_audio_gets_one_aac_track_counted_in_bandwidth() -> None:
    result = plan(parse_rendition_spec("audio=96"))
    assert result.audio is not None
    assert (result.audio.codec_tag, result.audio.bitrate_kbps, result.audio.channels) == ("mp4a.40.2", 96, 2)
    assert result.renditions[0].bandwidth == (7500 + 96) * 1000


def test_the_poster_is_taken_at_one_second_or_a_tenth_of_a_short_clip() -> None:
    result = plan(duration_s=15.0)
    assert result.poster is not None
    assert (result.poster.time_s, result.poster.width, result.poster.height) == (1.0, 1920, 1080)
    short = plan(duration_s=4.0).poster
    assert short is not None and short.time_s == 0.4
    assert plan(parse_rendition_spec("poster=off")).poster is None


def test_the_sprite_has_a_thumb_every_two_seconds_and_stays_bounded_for_long_videos() -> None:
    # GIVEN a 15 s clip and a 10-minute video
    # WHEN planned with a 10x10 sprite of 160 px thumbs
    clip = plan(duration_s=15.0).sprite
    long = plan(duration_s=600.0).sprite
    # THEN the clip has a thumb every 2 s; the long video's interval stretches to keep 100 tiles
    assert clip is not None and long is not None
    assert (clip.interval_s, clip.count, clip.columns, clip.rows) == (2.0, 8, 8, 1)
    assert (clip.thumb_width, clip.thumb_height) == (160, 90)
    assert (long.interval_s, long.count, long.columns, long.rows) == (6.0, 100, 10, 10)
    portrait = plan(display_width=1080, display_height=1920).sprite
    assert portrait is not None and (portrait.thumb_width, portrait.thumb_height) == (160, 284)
    assert plan(parse_rendition_spec("sprite=off")).sprite is None


# --- backend ------------------------------------------------------------------------------------------


def test_a_short_clip_stays_on_the_lambda() -> None:
    result = plan(duration_s=15.0)
    assert result.backend is Backend.LAMBDA
    assert result.backend_reason.startswith("fits the Lambda budget")
    assert 0 < result.estimated_encode_s < BUDGET.time_limit_s


def test_a_ten_minute_1080p60_video_goes_to_mediaconvert_with_a_reason() -> None:
    # GIVEN a 10-minute 1080p60 original
    # WHEN planned against the default Lambda budget
    result = plan(frame_rate=60.0, duration_s=600.0, size_bytes=1_200_000_000)
    # THEN its estimated encode exceeds 15 min x safety, so MediaConvert takes it, and says why
    assert result.backend is Backend.MEDIACONVERT
    assert result.estimated_encode_s > BUDGET.time_limit_s
    assert "exceeds the Lambda budget of 540 s" in result.backend_reason


def test_a_faster_calibrated_lambda_keeps_more_on_the_lambda() -> None:
    fast = LambdaBudget(encode_s_per_megapixel_frame=0.005, decode_s_per_megapixel_frame=0.002)
    assert plan(budget=fast, frame_rate=60.0, duration_s=600.0).backend is Backend.LAMBDA


def test_outputs_beyond_ephemeral_storage_go_to_mediaconvert() -> None:
    small_disk = LambdaBudget(ephemeral_storage_mb=512)
    result = plan(budget=small_disk, duration_s=120.0, size_bytes=300_000_000)
    assert result.backend is Backend.MEDIACONVERT
    assert "MB of source and outputs exceeds" in result.backend_reason


@pytest.mark.parametrize("backend", ["lambda", "mediaconvert", "gpu"])
def test_a_configured_backend_is_used_as_configured(backend: str) -> None:
    result = plan(parse_rendition_spec(f"backend={backend}"), frame_rate=60.0, duration_s=600.0)
    assert (result.backend, result.backend_reason) == (Backend(backend), "configured")


# --- the spec string ----------------------------------------------------------------------------------


def test_the_default_spec_is_the_1080_720_480_ladder() -> None:
    assert parse_rendition_spec("") == SPEC
    assert parse_rendition_spec("1080,720,480;codec=h264;segment=2") == SPEC
    assert SPEC.sprite == SpriteSpec(interval_s=2.0, columns=10, rows=10, thumb_width=160)


def test_a_full_spec_string_is_read_key_by_key() -> None:
    spec = parse_rendition_spec(
        "720p, 1080 ,360; segment=4; fps=30; poster=off; sprite=5x4; sprite_interval=1.5;"
        " sprite_width=120; audio=96; backend=mediaconvert"
    )
    assert spec == RenditionSpec(
        ladder=(1080, 720, 360),
        segment_seconds=4.0,
        max_frame_rate=30.0,
        poster=False,
        sprite=SpriteSpec(interval_s=1.5, columns=5, rows=4, thumb_width=120),
        audio_bitrate_kbps=96,
        backend="mediaconvert",
    )
    assert parse_rendition_spec("ladder=720;sprite=off").sprite is None


@pytest.mark.parametrize(
    "text",
    [
        "1080,abc",
        "1080,,720",
        "99999",
        "1080;codec=vp9",
        "1080;segment=0",
        "1080;segment=fast",
        "1080;segment=nan",
        "1080;fps=240",
        "1080;poster=maybe",
        "1080;sprite=big",
        "1080;sprite=0x10",
        "1080;sprite=off;sprite_width=100",
        "1080;audio=-1",
        "1080;backend=cloud",
        "1080;colour=blue",
        "1080;segment=2;segment=4",
        "1080;720",
    ],
)
def test_a_bad_spec_string_is_refused_with_a_clear_code(text: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_rendition_spec(text)
    assert refused.value.code == "invalid_rendition_spec"
    assert refused.value.message


# --- the plan as JSON ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        Source(),
        Source(display_width=1080, display_height=1920, frame_rate=59.94, has_audio=False, duration_s=600.0),
    ],
)
def test_a_plan_survives_the_workflow_document_exactly(source: Source) -> None:
    # GIVEN a plan
    original = plan_renditions("vid1", source, SPEC, BUDGET)
    # WHEN it travels as JSON through Step Functions and is read back
    document = json.loads(json.dumps(original.to_dict()))
    # THEN it is the same plan
    assert Plan.from_dict(document) == original
    assert document["backend"] == original.backend.value


def test_a_malformed_plan_document_is_refused() -> None:
    document = plan().to_dict()
    del document["renditions"][0]["width"]
    with pytest.raises(InvalidRequest) as refused:
        Plan.from_dict(document)
    assert refused.value.code == "invalid_plan"


@pytest.mark.parametrize(
    "source",
    [Source(duration_s=0.0), Source(display_width=0), Source(frame_rate=float("nan"))],
)
def test_a_source_that_cannot_be_planned_is_refused(source: Source) -> None:
    with pytest.raises(InvalidRequest) as refused:
        plan_renditions("vid1", source, SPEC, BUDGET)
    assert refused.value.code == "invalid_source"
