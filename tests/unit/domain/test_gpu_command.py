"""The GPU backend's ffmpeg command (NVDEC -> CUDA scale -> NVENC -> HLS fMP4), read back against the plan."""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

import pytest

from reelstack.domain.media.ffmpeg_ladder import ladder_command
from reelstack.domain.media.gpu_command import filter_graph, frames_stay_on_gpu, nvenc_ladder_command
from reelstack.domain.media.media import MediaInfo
from reelstack.domain.media.renditions import LambdaBudget, Plan, RenditionSpec, plan_renditions
from tests.support.media_info import media

OUT = "/work/out"
SOURCE_FILE = "/work/source.mp4"
FLAGS = {"-an", "-sn", "-dn", "-vn", "-nostdin", "-hide_banner", "-y"}


SOURCES = {
    "landscape 1080p30 with audio": media(1920, 1080, 30.0),
    "portrait 720x1280 (rotated) with audio": media(1280, 720, 30.0, rotation=90),
    "59.94 fps without audio": media(1920, 1080, 59.94, audio=False),
    "4K UHD": media(3840, 2160, 30.0),
}


def plan_for(source: MediaInfo, spec: RenditionSpec | None = None) -> Plan:
    return plan_renditions("vid1", source, spec or RenditionSpec(), LambdaBudget())


@dataclass
class Output:
    """One output of the command: its options (name -> values, flags -> [""]) and its file."""

    options: dict[str, list[str]]
    path: str

    def value(self, name: str) -> str:
        (value,) = self.options[name]
        return value


def outputs(command: list[str]) -> list[Output]:
    """The command's outputs, read left to right after the filter graph: options, then a file."""
    args = command[command.index("-filter_complex") + 2 :]
    parsed: list[Output] = []
    options: dict[str, list[str]] = {}
    i = 0
    while i < len(args):
        if args[i] in FLAGS:
            options.setdefault(args[i], []).append("")
            i += 1
        elif args[i].startswith("-"):
            options.setdefault(args[i], []).append(args[i + 1])
            i += 2
        else:
            parsed.append(Output(options, args[i]))
            options = {}
            i += 1
    assert options == {}, f"options after the last output: {options}"
    return parsed


def global_options(command: list[str]) -> list[str]:
    return command[: command.index("-filter_complex")]


def option(command: list[str], name: str) -> str:
    return command[command.index(name) + 1]


def gop_seconds(plan: Plan) -> Fraction:
    rendition = plan.renditions[0]
    return rendition.keyframe_interval_frames / Fraction(rendition.frame_rate_fraction)


# --- every rendition, as planned ---------------------------------------------------------------------


def videos(command: list[str]) -> list[Output]:
    return [o for o in outputs(command) if o.options.get("-c:v") == ["h264_nvenc"]]


@pytest.mark.parametrize("name", SOURCES)
def test_every_rendition_is_scaled_on_cuda_and_encoded_on_nvenc_as_planned(name: str) -> None:
    # GIVEN a sample plan
    plan = plan_for(SOURCES[name])
    # WHEN the GPU command is built
    command = nvenc_ladder_command(plan, SOURCE_FILE, OUT)
    graph = option(command, "-filter_complex")
    encoded = videos(command)
    # THEN each rendition has one NVENC output fed by a CUDA scale to exactly its size
    assert len(encoded) == len(plan.renditions)
    for rendition, video in zip(plan.renditions, encoded, strict=True):
        label = video.options["-map"][0].strip("[]")
        scale = re.search(rf"scale_cuda=w=(\d+):h=(\d+)[^;]*\[{label}\]", graph)
        assert scale is not None
        assert (int(scale[1]), int(scale[2])) == (rendition.width, rendition.height)
        assert video.value("-b:v") == f"{rendition.video_bitrate_kbps}k"
        assert video.value("-maxrate") == f"{rendition.max_bitrate_kbps}k"
        assert video.value("-bufsize") == f"{rendition.buffer_kbps}k"
        assert video.value("-rc") == "vbr"
        assert video.value("-preset") in {"p4", "p5"}
        assert (video.value("-profile:v"), video.value("-level:v")) == (rendition.profile, rendition.level)
        # AND keyframes come only on the GOP cadence, at the same frames in every rendition: no scene cuts
        gop = str(rendition.keyframe_interval_frames)
        assert video.value("-g") == video.value("-keyint_min") == gop
        assert video.value("-force_key_frames") == f"expr:eq(mod(n,{gop}),0)"
        assert video.value("-forced-idr") == "1"
        assert video.value("-no-scenecut") == "1"
        assert video.value("-strict_gop") == "1"


@pytest.mark.parametrize("name", SOURCES)
def test_the_source_is_decoded_once_on_the_gpu_at_the_plans_frame_rate(name: str) -> None:
    # GIVEN a sample plan
    plan = plan_for(SOURCES[name])
    # WHEN the GPU command is built
    command = nvenc_ladder_command(plan, SOURCE_FILE, OUT)
    graph = option(command, "-filter_complex")
    # THEN one input, decoded by CUDA into GPU memory, set to the plan's exact rate and then split
    assert command.count("-i") == 1 and option(command, "-i") == SOURCE_FILE
    assert option(command, "-hwaccel") == "cuda"
    assert option(command, "-hwaccel_output_format") == "cuda"
    assert graph.startswith(f"[0:v:0]fps={plan.renditions[0].frame_rate_fraction},split=")
    # AND every split branch is consumed exactly once
    split = re.match(r"\[0:v:0\][^;]*split=(\d+)((?:\[\w+\])+)", graph)
    assert split is not None
    labels = re.findall(r"\[(\w+)\]", split[2])
    assert int(split[1]) == len(labels)
    assert all(graph.count(f"[{label}]") == 2 for label in labels)


def test_59_94_fps_keeps_its_ntsc_rate_and_a_two_second_gop() -> None:
    plan = plan_for(SOURCES["59.94 fps without audio"])
    command = nvenc_ladder_command(plan, SOURCE_FILE, OUT)
    assert "fps=60000/1001" in option(command, "-filter_complex")
    assert {o.value("-g") for o in videos(command)} == {"120"}


# --- HLS fMP4 layout: the CPU ladder's ------------------------------------------------------------------


@pytest.mark.parametrize("name", SOURCES)
def test_each_rendition_is_a_vod_fmp4_hls_folder_cut_at_every_gop(name: str) -> None:
    # GIVEN a sample plan
    plan = plan_for(SOURCES[name])
    # WHEN the GPU command is built
    encoded = videos(nvenc_ladder_command(plan, SOURCE_FILE, OUT))
    # THEN each rendition writes <name>/playlist.m3u8 with one media.mp4 (init and segments) beside it
    assert [o.path for o in encoded] == [f"{OUT}/{r.playlist}" for r in plan.renditions]
    for rendition, output in zip(plan.renditions, encoded, strict=True):
        assert output.value("-f") == "hls"
        assert output.value("-hls_segment_filename") == f"{OUT}/{rendition.name}/media.mp4"
        assert output.value("-hls_flags") == "single_file+independent_segments"
        assert output.value("-hls_segment_type") == "fmp4"
        assert output.value("-hls_playlist_type") == "vod"
        # AND a segment is one GOP: hls_time is the GOP length (segment_seconds at the exact frame rate)
        assert Fraction(output.value("-hls_time")) <= gop_seconds(plan)
        assert gop_seconds(plan) - Fraction(output.value("-hls_time")) < Fraction(1, 1_000_000)
        assert abs(float(output.value("-hls_time")) - plan.segment_seconds) < 0.01


@pytest.mark.parametrize("name", SOURCES)
def test_the_gpu_outputs_are_the_cpu_ladders_outputs(name: str) -> None:
    # GIVEN a sample plan, and the ffmpeg Lambda's command for it
    plan = plan_for(SOURCES[name])
    cpu = outputs(ladder_command(plan, SOURCE_FILE, OUT))
    # WHEN the GPU command is built
    gpu = outputs(nvenc_ladder_command(plan, SOURCE_FILE, OUT))
    # THEN it writes the same files with the same muxing and audio; only the video encoder differs
    assert [o.path for o in gpu] == [o.path for o in cpu]
    shared = ("-f", "-hls_time", "-hls_playlist_type", "-hls_segment_type", "-hls_segment_filename",
              "-hls_flags", "-c:a", "-b:a", "-ac", "-ar", "-an", "-b:v", "-maxrate",
              "-bufsize", "-g", "-profile:v", "-level:v", "-frames:v")  # fmt: skip
    for gpu_output, cpu_output in zip(gpu, cpu, strict=True):
        assert {k: gpu_output.options.get(k) for k in shared} == {
            k: cpu_output.options.get(k) for k in shared
        }
        assert len(gpu_output.options["-map"]) == len(cpu_output.options["-map"])


# --- audio iff planned ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SOURCES)
def test_audio_is_encoded_into_every_rendition_if_and_only_if_the_plan_has_it(name: str) -> None:
    # GIVEN a sample plan, with or without audio
    plan = plan_for(SOURCES[name])
    # WHEN the GPU command is built
    encoded = videos(nvenc_ladder_command(plan, SOURCE_FILE, OUT))
    # THEN every rendition carries the planned AAC track, or explicitly none
    for output in encoded:
        if plan.audio is None:
            assert "-an" in output.options
            assert "0:a:0" not in output.options["-map"]
            assert "-c:a" not in output.options
        else:
            assert output.options["-map"][1:] == ["0:a:0"]
            assert output.value("-c:a") == "aac"
            assert output.value("-b:a") == f"{plan.audio.bitrate_kbps}k"
            assert output.value("-ac") == str(plan.audio.channels)
            assert output.value("-ar") == str(plan.audio.sample_rate_hz)
            assert "-an" not in output.options


# --- stills --------------------------------------------------------------------------------------------


def test_the_poster_and_sprite_come_from_the_same_decode() -> None:
    # GIVEN a plan with a poster at 1 s and a sprite sheet
    plan = plan_for(SOURCES["landscape 1080p30 with audio"])
    assert plan.poster is not None and plan.sprite is not None
    # WHEN the GPU command is built
    command = nvenc_ladder_command(plan, SOURCE_FILE, OUT)
    graph = option(command, "-filter_complex")
    stills = {o.path: o for o in outputs(command) if o.options.get("-frames:v") == ["1"]}
    # THEN one poster frame at its time and size, and one tiled sheet of `count` thumbs
    assert set(stills) == {f"{OUT}/poster.jpg", f"{OUT}/sprite.jpg"}
    assert (
        f"trim=start={plan.poster.time_s:g},scale_cuda=w={plan.poster.width}:h={plan.poster.height}" in graph
    )
    assert (
        f"trim=end_frame={plan.sprite.count},scale_cuda=w={plan.sprite.thumb_width}:h={plan.sprite.thumb_height}"
        in graph
    )
    assert f"tile={plan.sprite.columns}x{plan.sprite.rows}[s]" in graph


def test_without_poster_or_sprite_the_split_feeds_only_the_renditions() -> None:
    plan = plan_for(SOURCES["landscape 1080p30 with audio"], RenditionSpec(poster=False, sprite=None))
    command = nvenc_ladder_command(plan, SOURCE_FILE, OUT)
    assert f"split={len(plan.renditions)}[" in option(command, "-filter_complex")
    assert not any(path.endswith(".jpg") for path in command)


# --- sources that need the CPU first --------------------------------------------------------------------


def test_frames_that_need_the_cpu_are_decoded_to_memory_then_uploaded() -> None:
    # GIVEN the rotated portrait source (ffmpeg's autorotate transposes on the CPU)
    plan = plan_for(SOURCES["portrait 720x1280 (rotated) with audio"])
    # WHEN the command is built with frames off the GPU
    command = nvenc_ladder_command(plan, SOURCE_FILE, OUT, frames_on_gpu=False)
    # THEN decoding still uses CUDA but frames come to memory, and are uploaded once before the split
    assert option(command, "-hwaccel") == "cuda"
    assert "-hwaccel_output_format" not in global_options(command)
    assert ",hwupload_cuda,split=" in option(command, "-filter_complex")
    assert "hwupload_cuda" not in filter_graph(plan)


@pytest.mark.parametrize(
    ("codec", "pixel_format", "rotation", "stays"),
    [
        ("h264", "yuv420p", 0, True),
        ("hevc", "yuv420p10le", 0, True),
        ("h264", "yuv420p10le", 0, False),
        ("av1", "yuv420p", 0, False),
        ("h264", "yuv420p", 90, False),
        ("h264", "yuv420p", 270, False),
        ("prores", "yuv422p10le", 0, False),
        ("h264", "yuv422p", 0, False),
    ],
)
def test_which_sources_keep_their_frames_on_the_gpu(
    codec: str, pixel_format: str, rotation: int, stays: bool
) -> None:
    assert frames_stay_on_gpu(codec, pixel_format, rotation) is stays
