"""Reading ffprobe's JSON into MediaInfo, and the probe policy: what is a playable, acceptable video."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack.domain.media.media import (
    MediaInfo,
    ProbePolicy,
    UnplayableMedia,
    media_info_from_ffprobe,
    parse_rate,
    steady_frame_rate,
    validate,
)
from reelstack.errors import InvalidRequest

MP4 = "mov,mp4,m4a,3gp,3g2,mj2"


def video(**overrides: Any) -> dict[str, Any]:
    return {
        "index": 0,
        "codec_name": "h264",
        "codec_type": "video",
        "width": 1280,
        "height": 720,
        "display_aspect_ratio": "16:9",
        "r_frame_rate": "30/1",
        "avg_frame_rate": "30/1",
        "duration": "3.000000",
        "disposition": {"default": 1, "attached_pic": 0},
        **overrides,
    }


def audio(**overrides: Any) -> dict[str, Any]:
    return {"index": 1, "codec_name": "aac", "codec_type": "audio", "duration": "3.000000", **overrides}


def probe_json(*streams: dict[str, Any], duration: str | None = "3.000000", **fmt: Any) -> dict[str, Any]:
    format_ = {"format_name": MP4, "bit_rate": "800000", **fmt}
    if duration is not None:
        format_["duration"] = duration
    return {"streams": list(streams), "format": format_}


def info_for(*streams: dict[str, Any], **fmt: Any) -> MediaInfo:
    return media_info_from_ffprobe(probe_json(*streams, **fmt), size_bytes=300_000)


def refusal(call: Any, *args: Any) -> str:
    with pytest.raises(UnplayableMedia) as caught:
        call(*args)
    return caught.value.code


def test_a_plain_landscape_clip_is_read_whole() -> None:
    # GIVEN ffprobe's view of a 3 s 1280x720 H.264/AAC MP4
    # WHEN it is read
    info = info_for(video(), audio())
    # THEN every recorded fact comes out, and it survives the trip to a dict
    assert info == MediaInfo(
        duration_s=3.0, width=1280, height=720, rotation=0, display_width=1280, display_height=720,
        display_aspect="16:9", frame_rate=30.0, variable_frame_rate=False, video_codec="h264",
        audio_codec="aac", has_audio=True, size_bytes=300_000, bitrate=800_000, container=MP4, nominal_frame_rate=30.0,
    )  # fmt: skip
    assert info.to_dict()["display_aspect"] == "16:9"
    assert not info.portrait


def test_rotation_from_the_display_matrix_turns_the_display_size() -> None:
    # GIVEN a phone's portrait video: 1280x720 coded, display matrix rotating -90 (counter-clockwise)
    stream = video(side_data_list=[{"side_data_type": "Display Matrix", "rotation": -90}])
    # WHEN it is read
    info = info_for(stream, audio())
    # THEN it is shown turned 90 degrees clockwise: 720x1280, 9:16, while the coded size stays
    assert (info.rotation, info.width, info.height) == (90, 1280, 720)
    assert (info.display_width, info.display_height, info.display_aspect) == (720, 1280, "9:16")
    assert info.portrait


def test_rotation_from_the_legacy_rotate_tag() -> None:
    # GIVEN older ffprobe output with a clockwise `rotate` tag and no side data
    # WHEN read
    # THEN the tag is the rotation, normalised to a quarter turn
    assert info_for(video(tags={"rotate": "90"})).rotation == 90
    assert info_for(video(tags={"rotate": "-90"})).rotation == 270
    upside_down = info_for(video(tags={"rotate": "180"}))
    assert (upside_down.rotation, upside_down.display_width) == (180, 1280)
    assert upside_down.display_aspect == "16:9"


def test_side_data_wins_over_the_tag_and_odd_angles_snap() -> None:
    # GIVEN both a display matrix and a tag, or a matrix a hair off a quarter turn
    both = video(side_data_list=[{"rotation": 90.0}], tags={"rotate": "0"})
    nearly = video(side_data_list=[{"side_data_type": "Display Matrix", "rotation": 179.98}])
    # WHEN read
    # THEN the matrix decides, snapped to 0/90/180/270
    assert info_for(both).rotation == 270
    assert info_for(nearly).rotation == 180


def test_59_94_fps_variable_frame_rate_is_flagged() -> None:
    # GIVEN a 59.94 fps base rate whose frames were dropped irregularly (average 46.6 fps)
    info = info_for(video(r_frame_rate="60000/1001", avg_frame_rate="20000/429"))
    # WHEN read
    # THEN the average is the frame rate, and the gap between the two marks it variable
    assert info.frame_rate == pytest.approx(46.62, abs=0.01)
    assert info.variable_frame_rate


def test_constant_59_94_fps_is_not_variable() -> None:
    info = info_for(video(r_frame_rate="60000/1001", avg_frame_rate="60000/1001"))
    assert (info.frame_rate, info.variable_frame_rate) == (59.94, False)


def test_unknown_average_rate_falls_back_to_the_base_rate() -> None:
    # GIVEN "0/0" for the average (as some containers report)
    info = info_for(video(avg_frame_rate="0/0", r_frame_rate="25/1"))
    # THEN the base rate stands in, and nothing is called variable
    assert (info.frame_rate, info.variable_frame_rate) == (25.0, False)
    assert parse_rate("0/0") is None and parse_rate("N/A") is None and parse_rate(None) is None


def test_no_audio_track() -> None:
    info = info_for(video())
    assert (info.has_audio, info.audio_codec) == (False, None)


def test_audio_with_cover_art_has_no_video_stream() -> None:
    # GIVEN an audio file whose only picture is attached cover art
    cover = video(codec_name="mjpeg", disposition={"attached_pic": 1}, duration="0.000000")
    # WHEN read
    # THEN it is refused: cover art is not a video
    assert refusal(info_for, audio(index=0), cover) == "no_video_stream"


def test_audio_only_and_data_only_files_have_no_video_stream() -> None:
    assert refusal(info_for, audio()) == "no_video_stream"
    data_only = ({"index": 0, "codec_type": "data"}, {"index": 1, "codec_type": "attachment"})
    assert refusal(info_for, *data_only) == "no_video_stream"
    assert refusal(info_for) == "no_video_stream"


def test_a_still_image_is_not_a_video() -> None:
    still = video(codec_name="png", duration=None)
    with pytest.raises(UnplayableMedia) as caught:
        media_info_from_ffprobe(probe_json(still, duration=None, format_name="png_pipe"), size_bytes=1000)
    assert caught.value.code == "no_video_stream"


def test_missing_duration_or_size_is_corrupt_media() -> None:
    # GIVEN a video whose stream and container declare no duration, or no picture size, or no bytes
    no_duration = probe_json(video(duration="N/A"), duration=None)
    no_size = probe_json(video(width=0, height=0))
    # THEN each is refused as corrupt
    assert refusal(media_info_from_ffprobe, no_duration, 1000) == "corrupt_media"
    assert refusal(media_info_from_ffprobe, no_size, 1000) == "corrupt_media"
    assert refusal(media_info_from_ffprobe, probe_json(video()), 0) == "corrupt_media"


def test_the_video_stream_duration_wins_over_the_container() -> None:
    # GIVEN a single video frame over 10 s of audio
    info = info_for(video(duration="0.033333"), audio(duration="10.0"), duration="10.000000")
    # THEN the video lasts one frame, and the policy refuses it
    assert info.duration_s == pytest.approx(0.0333, abs=1e-4)
    assert refusal(validate, info, ProbePolicy()) == "too_short"


def test_the_container_duration_stands_in_when_streams_have_none() -> None:
    # GIVEN a WebM, whose streams carry no duration
    info = info_for(video(duration=None), audio(duration=None), duration="12.5", format_name="matroska,webm")
    assert info.duration_s == 12.5


def with_duration(seconds: float) -> MediaInfo:
    return info_for(video(duration=str(seconds)), duration=str(seconds))


def test_durations_against_the_default_policy() -> None:
    # GIVEN the default policy (1 s to 10 min)
    # WHEN a 9-minute and a 1-second video are validated
    # THEN they pass; half a second and 11 minutes are refused with their codes
    validate(with_duration(9 * 60), ProbePolicy())
    validate(with_duration(1.0), ProbePolicy())
    assert refusal(validate, with_duration(0.5), ProbePolicy()) == "too_short"
    assert refusal(validate, with_duration(11 * 60), ProbePolicy()) == "too_long"


def sized(width: int, height: int) -> MediaInfo:
    return info_for(video(width=width, height=height, display_aspect_ratio="N/A"))


def test_4k_uhd_is_accepted_in_both_orientations() -> None:
    # GIVEN 3840x2160 landscape and 2160x3840 portrait
    # WHEN validated
    # THEN both pass
    validate(sized(3840, 2160), ProbePolicy())
    validate(sized(2160, 3840), ProbePolicy())
    assert sized(2160, 3840).display_aspect == "9:16"


def test_larger_than_4k_uhd_is_refused() -> None:
    # GIVEN DCI 4K (4096x2160), and a square frame taller than UHD's short side
    # THEN both are too large
    assert refusal(validate, sized(4096, 2160), ProbePolicy()) == "resolution_too_large"
    assert refusal(validate, sized(2160, 4096), ProbePolicy()) == "resolution_too_large"
    assert refusal(validate, sized(2400, 2400), ProbePolicy()) == "resolution_too_large"


def test_refusals_are_invalid_requests_with_details() -> None:
    with pytest.raises(InvalidRequest) as caught:
        validate(with_duration(11 * 60), ProbePolicy(max_duration_s=600))
    assert caught.value.to_dict()["max_duration_s"] == 600
    assert str(caught.value).startswith("[too_long] ")
    assert UnplayableMedia("x").code == "unplayable_media"


def _vfr(average: float, nominal: float, variable: bool = True) -> MediaInfo:
    return MediaInfo(
        duration_s=3.0, width=320, height=240, rotation=0, display_width=320, display_height=240,
        display_aspect="4:3", frame_rate=average, variable_frame_rate=variable, video_codec="h264",
        audio_codec=None, has_audio=False, size_bytes=1000, bitrate=None, container="mov",
        nominal_frame_rate=nominal,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("average", "nominal", "variable", "steady"),
    [
        (29.97, 29.97, False, 29.97),  # constant: as it is
        (46.62, 59.94, True, 59.94),  # a 59.94 recording with drops: its nominal rate
        (27.3, 90000.0, True, 29.97),  # an odd time base: the first standard rate at or above the average
        (118.0, 1000.0, True, 119.88),
    ],
)
def test_variable_frame_rate_sources_are_encoded_at_a_steady_standard_rate(
    average: float, nominal: float, variable: bool, steady: float
) -> None:
    # GIVEN a source's average and nominal rates WHEN the encode rate is chosen THEN it is steady and standard
    assert steady_frame_rate(_vfr(average, nominal, variable)) == pytest.approx(steady, abs=0.001)
