"""The ffmpeg argv of a plan, read back as ffmpeg would read it: one input, one filter graph, outputs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from fractions import Fraction

import pytest

from reelstack.domain.media.ffmpeg_ladder import (
    hls_time,
    ladder_command,
    single_rendition_command,
    still_time,
)
from reelstack.domain.media.moderation import CandidateStills
from reelstack.domain.media.renditions import Plan, Rendition, RenditionSpec
from tests.support.plans import ladder_plan

OUT = "/scratch/out"
SOURCE = "/scratch/original"


def plan(spec: RenditionSpec | None = None, **source: object) -> Plan:
    return ladder_plan(spec, **source)


@dataclass
class Output:
    path: str
    options: list[tuple[str, str]] = field(default_factory=list)

    def values(self, name: str) -> list[str]:
        return [value for option, value in self.options if option == name]

    def value(self, name: str) -> str:
        (only,) = self.values(name)
        return only


@dataclass
class Command:
    inputs: list[str]
    before_input: list[tuple[str, str]]
    graph: str
    outputs: list[Output]


FLAGS = {"-nostdin", "-hide_banner", "-nostats", "-y", "-an"}  # options without a value


def parse(argv: list[str]) -> Command:
    """Split an argv the way ffmpeg does: options with their values, a bare word ends an output."""
    assert argv[0] == "ffmpeg"
    inputs: list[str] = []
    before: list[tuple[str, str]] = []
    graph = ""
    outputs: list[Output] = []
    pending: list[tuple[str, str]] = []
    words = iter(argv[1:])
    for word in words:
        if word in FLAGS:
            pending.append((word, ""))
        elif word.startswith("-"):
            value = next(words)
            if word == "-i":
                inputs.append(value)
                before, pending = pending, []
            elif word == "-filter_complex":
                graph = value
            else:
                pending.append((word, value))
        else:
            outputs.append(Output(word, pending))
            pending = []
    assert not pending, f"options after the last output: {pending}"
    return Command(inputs, before, graph, outputs)


def chains(graph: str) -> dict[str, str]:
    """Each chain's filters by its output label (the split chain under 'split')."""
    found: dict[str, str] = {}
    for chain in graph.split(";"):
        body = re.sub(r"^(\[[^\]]+\])+", "", chain)
        labels = re.findall(r"\[([^\]]+)\]$", body)
        body = re.sub(r"(\[[^\]]+\])+$", "", body)
        found["split" if "split=" in body else labels[0]] = body
    return found


def rendition_outputs(command: Command) -> list[Output]:
    return [o for o in command.outputs if o.path.endswith("playlist.m3u8")]


def label(output: Output) -> str:
    return next(v.strip("[]") for v in output.values("-map") if v.startswith("["))


def test_one_decode_feeds_every_rendition_poster_and_sprite_through_one_split() -> None:
    # GIVEN a 1080p30 plan with poster and sprite
    p = plan()
    # WHEN its ladder command is built
    command = parse(ladder_command(p, SOURCE, OUT))
    # THEN one input, converted to the plan's frame rate once, split into renditions + poster + sprite
    assert command.inputs == [SOURCE]
    split = chains(command.graph)["split"]
    assert split.startswith(f"fps={p.renditions[0].frame_rate_fraction},")
    assert f"split={len(p.renditions) + 2}" in split
    # AND one HLS output per rendition, highest first, each in its own folder
    outputs = rendition_outputs(command)
    assert [o.path for o in outputs] == [f"{OUT}/{r.name}/playlist.m3u8" for r in p.renditions]
    # AND the poster and the sprite are single JPEG frames in the output folder
    images = [o for o in command.outputs if o.path.endswith(".jpg")]
    assert sorted(o.path for o in images) == sorted([f"{OUT}/poster.jpg", f"{OUT}/sprite.jpg"])
    assert all(o.value("-frames:v") == "1" for o in images)


def test_each_rendition_is_scaled_to_exactly_its_size_with_square_pixels() -> None:
    p = plan(display_width=1080, display_height=1920)  # portrait
    command = parse(ladder_command(p, SOURCE, OUT))
    graph = chains(command.graph)
    for rendition, output in zip(p.renditions, rendition_outputs(command), strict=True):
        filters = graph[label(output)].split(",")
        assert f"scale={rendition.width}:{rendition.height}" in filters
        assert "setsar=1" in filters
        assert output.value("-pix_fmt") == "yuv420p"


def test_every_rendition_gets_the_plan_s_encoder_settings_and_a_closed_aligned_gop() -> None:
    # GIVEN a 59.94 fps plan (GOP of 120 frames for 2 s segments)
    p = plan(frame_rate=59.94)
    # WHEN built with the default preset
    outputs = rendition_outputs(parse(ladder_command(p, SOURCE, OUT)))
    for rendition, output in zip(p.renditions, outputs, strict=True):
        # THEN libx264 at the plan's profile, level and rates
        assert output.value("-c:v") == "libx264" and output.value("-preset") == "veryfast"
        assert (output.value("-profile:v"), output.value("-level:v")) == (rendition.profile, rendition.level)
        assert output.value("-b:v") == f"{rendition.video_bitrate_kbps}k"
        assert output.value("-maxrate") == f"{rendition.max_bitrate_kbps}k"
        assert output.value("-bufsize") == f"{rendition.buffer_kbps}k"
        # AND keyframes exactly every GOP: max = min interval, no scene cuts, forced on frame numbers
        gop = rendition.keyframe_interval_frames
        assert output.value("-g") == output.value("-keyint_min") == str(gop)
        assert output.value("-sc_threshold") == "0"
        assert "+cgop" in output.value("-flags")
        forced = re.fullmatch(r"expr:eq\(mod\(n,(\d+)\),0\)", output.value("-force_key_frames"))
        assert forced is not None and int(forced.group(1)) == gop


def test_renditions_are_written_as_one_vod_cmaf_file_next_to_their_playlist() -> None:
    # GIVEN a plan WHEN its ladder command is built
    p = plan()
    outputs = rendition_outputs(parse(ladder_command(p, SOURCE, OUT)))
    for rendition, output in zip(p.renditions, outputs, strict=True):
        # THEN each rendition is VOD fMP4 HLS, its playlist in its own folder
        assert output.value("-f") == "hls"
        assert output.value("-hls_playlist_type") == "vod"
        assert output.value("-hls_segment_type") == "fmp4"
        assert output.path == f"{OUT}/{rendition.name}/playlist.m3u8"
        # AND init section and segments go into one media file beside it, addressed by byte ranges
        assert output.value("-hls_flags").split("+") == ["single_file", "independent_segments"]
        assert output.value("-hls_segment_filename") == f"{OUT}/{rendition.name}/media.mp4"
        assert not output.values("-hls_fmp4_init_filename")  # single-file mode puts the init at byte 0
        assert output.value("-map_metadata") == "-1"  # no phone location in the outputs


@pytest.mark.parametrize("rate", [23.976, 24.0, 25.0, 29.97, 30.0, 50.0, 59.94, 60.0])
@pytest.mark.parametrize("segment", [1.0, 1.5, 2.0, 2.5, 6.0])
def test_the_segment_length_is_the_exact_gop_never_above_it(rate: float, segment: float) -> None:
    # GIVEN a plan at this frame rate and segment length
    p = plan(RenditionSpec(segment_seconds=segment), frame_rate=rate)
    for rendition in p.renditions:
        # WHEN its -hls_time is read
        given = Fraction(hls_time(rendition))
        # THEN it is the GOP's length (frames / rate) floored to the microsecond
        gop = rendition.keyframe_interval_frames / Fraction(rendition.frame_rate_fraction)
        assert given <= gop < given + Fraction(1, 1_000_000)
        # AND that GOP is within half a frame of the declared segment length
        assert abs(gop - Fraction(str(segment))) <= Fraction(rendition.frame_rate_fraction) ** -1 / 2


def test_audio_is_muxed_into_every_rendition_at_the_planned_settings() -> None:
    p = plan()
    assert p.audio is not None
    for output in rendition_outputs(parse(ladder_command(p, SOURCE, OUT))):
        assert "0:a:0" in output.values("-map")
        assert output.value("-c:a") == "aac"
        assert output.value("-b:a") == f"{p.audio.bitrate_kbps}k"
        assert (output.value("-ac"), output.value("-ar")) == (
            str(p.audio.channels),
            str(p.audio.sample_rate_hz),
        )


def test_a_source_without_audio_gets_no_audio_track() -> None:
    p = plan(has_audio=False)
    for output in rendition_outputs(parse(ladder_command(p, SOURCE, OUT))):
        assert "-an" in dict(output.options)
        assert not any(v.startswith("0:a") for v in output.values("-map"))


def test_poster_and_sprite_follow_their_plans() -> None:
    # GIVEN a plan whose sprite takes a thumb every 2 s
    p = plan(duration_s=30.0)
    assert p.poster is not None and p.sprite is not None
    command = parse(ladder_command(p, SOURCE, OUT))
    graph = chains(command.graph)
    poster = next(o for o in command.outputs if o.path.endswith(p.poster.key))
    sprite = next(o for o in command.outputs if o.path.endswith(p.sprite.key))
    # THEN the poster is the frame at its time, at the top rendition's size, and its branch ends there
    poster_filters = graph[label(poster)].split(",")
    assert f"trim=start={p.poster.time_s:g}" in poster_filters
    assert "trim=end_frame=1" in poster_filters
    assert f"scale={p.poster.width}:{p.poster.height}" in poster_filters
    # AND the sprite samples 1/interval fps, keeps `count` thumbs, scales them and tiles the grid
    sprite_filters = graph[label(sprite)].split(",")
    rate = next(f for f in sprite_filters if f.startswith("fps="))
    assert Fraction(rate.removeprefix("fps=")) == 1 / Fraction(str(p.sprite.interval_s))
    assert f"trim=end_frame={p.sprite.count}" in sprite_filters
    assert f"scale={p.sprite.thumb_width}:{p.sprite.thumb_height}" in sprite_filters
    assert sprite_filters[-1] == f"tile={p.sprite.columns}x{p.sprite.rows}"


def test_a_plan_without_poster_and_sprite_splits_only_into_renditions() -> None:
    p = plan(RenditionSpec(poster=False, sprite=None))
    command = parse(ladder_command(p, SOURCE, OUT))
    assert f"split={len(p.renditions)}" in chains(command.graph)["split"]
    assert len(command.outputs) == len(p.renditions)
    # AND the same holds when images are left out of the run
    without = parse(ladder_command(plan(), SOURCE, OUT, images=False))
    assert all(o.path.endswith("playlist.m3u8") for o in without.outputs)


def test_preset_and_threads_reach_the_decoder_and_every_encoder() -> None:
    command = parse(ladder_command(plan(), SOURCE, OUT, preset="medium", threads=2, ffmpeg="ffmpeg"))
    assert ("-threads", "2") in command.before_input
    for output in rendition_outputs(command):
        assert (output.value("-preset"), output.value("-threads")) == ("medium", "2")


def test_a_percent_sign_in_the_folder_is_passed_literally() -> None:
    # GIVEN an output folder with a percent sign
    p = plan()
    # WHEN the ladder command is built
    output = rendition_outputs(parse(ladder_command(p, SOURCE, "/tmp/100%")))[0]
    # THEN the media file's path is not escaped: in single-file mode ffmpeg 5.1 opens it as written
    # (no %d expansion; "100%%" would name a folder that does not exist)
    assert output.value("-hls_segment_filename") == f"/tmp/100%/{p.renditions[0].name}/media.mp4"
    assert output.path.startswith("/tmp/100%/")


def _encoder_options(output: Output) -> list[tuple[str, str]]:
    return [(o, v) for o, v in output.options if o != "-map" or not v.startswith("[")]


@pytest.mark.parametrize("index", [0, 1, 2])
def test_a_single_rendition_run_encodes_exactly_as_the_ladder_does(index: int) -> None:
    # GIVEN the ladder command and a single-rendition command for the same rendition
    p = plan()
    rendition: Rendition = p.renditions[index]
    ladder = rendition_outputs(parse(ladder_command(p, SOURCE, OUT)))[index]
    single = parse(single_rendition_command(p, rendition, SOURCE, OUT))
    # THEN the single run has one input and one output with the very same options
    assert single.inputs == [SOURCE] and len(single.outputs) == 1
    assert single.outputs[0].path == ladder.path
    assert _encoder_options(single.outputs[0]) == _encoder_options(ladder)
    # AND its graph converts the rate and scales as the ladder's branch does
    filters = single.graph.split("]", 1)[1].rsplit("[", 1)[0].split(",")
    assert filters[0] == f"fps={rendition.frame_rate_fraction}"
    assert filters[1:] == chains(parse(ladder_command(p, SOURCE, OUT)).graph)[label(ladder)].split(",")


def test_a_different_top_rate_changes_every_branch_s_rate() -> None:
    # GIVEN the same plan with its renditions at 25 fps
    p = plan()
    slowed = replace(p, renditions=tuple(replace(r, frame_rate_fraction="25/1") for r in p.renditions))
    # THEN the shared fps filter follows the plan (not a constant)
    assert chains(parse(ladder_command(slowed, SOURCE, OUT)).graph)["split"].startswith("fps=25/1,")


def test_candidate_stills_ride_along_in_the_same_decode() -> None:
    # GIVEN a plan and the moderation policy's candidate stills
    stills = CandidateStills(every_s=1.25, scene_gap_s=0.5)
    argv = ladder_command(plan(), SOURCE, OUT, stills=stills)
    # THEN the one run has one input, and its graph splits a branch that samples 5 fps, keeps the first
    # frame, one per 1.25 s and scene cuts 0.5 s apart, into timestamp-numbered JPEGs under stills/
    assert argv.count("-i") == 1
    graph = argv[argv.index("-filter_complex") + 1]
    branch = next(chain for chain in graph.split(";") if chain.startswith("[stills]"))
    assert "fps=5," in branch and "isnan(prev_selected_t)" in branch
    assert (
        "gte(t-prev_selected_t\\,1.25)" in branch and "gt(scene\\,0.3)*gte(t-prev_selected_t\\,0.5)" in branch
    )
    assert argv[-1] == f"{OUT}/stills/still_%08d.jpg"
    assert argv[argv.index("-frame_pts") + 1] == "1"
    # AND without stills there is no such branch; a still's name gives its time
    assert (
        "[stills]"
        not in ladder_command(plan(), SOURCE, OUT)[
            ladder_command(plan(), SOURCE, OUT).index("-filter_complex") + 1
        ]
    )
    assert still_time("still_00000012.jpg") == 2.4
