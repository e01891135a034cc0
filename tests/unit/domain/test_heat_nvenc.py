"""The GPU container's HEVC twin command (`heat.nvenc_hevc_command`): NVDEC -> CUDA scale -> hevc_nvenc,
with the twins' bits, profile and level, the ladder's GOPs and the same single-file HLS muxing.

No GPU runs here: the argv is checked, not encoded."""

from __future__ import annotations

from dataclasses import replace

import pytest

from reelstack.domain.media import heat
from reelstack.domain.media.ffmpeg_ladder import hls_output
from reelstack.domain.media.gpu_command import nvenc_ladder_command
from reelstack.domain.media.renditions import Plan
from reelstack.errors import InvalidRequest
from tests.support.plans import ladder_plan

OUT = "/scratch/out"
SOURCE = "/scratch/original"


def ladder() -> Plan:
    return ladder_plan(duration_s=600.0, size_bytes=900_000_000)


def _after(argv: list[str], option: str) -> list[str]:
    return [argv[i + 1] for i, arg in enumerate(argv[:-1]) if arg == option]


def test_every_twin_is_encoded_by_hevc_nvenc_tagged_hvc1_at_its_level() -> None:
    # GIVEN the HEVC twins of a 1080p ladder
    plan = ladder()
    twins = heat.heat_plan(plan, plan.renditions)
    # WHEN the GPU command is built
    argv = heat.nvenc_hevc_command(twins, SOURCE, OUT)
    # THEN one CUDA decode feeds every twin, scaled on the GPU
    assert _after(argv, "-i") == [SOURCE] and _after(argv, "-hwaccel") == ["cuda"]
    (graph,) = _after(argv, "-filter_complex")
    assert graph.startswith("[0:v:0]fps=30/1,split=3[r0][r1][r2];[r0]scale_cuda=w=1920:h=1080")
    # AND each output is hevc_nvenc tagged hvc1, profile main, at the level its CODECS name
    count = len(twins.renditions)
    assert _after(argv, "-c:v") == ["hevc_nvenc"] * count and _after(argv, "-tag:v") == ["hvc1"] * count
    assert _after(argv, "-profile:v") == ["main"] * count
    assert _after(argv, "-level:v") == [r.level for r in twins.renditions] == ["4.0", "3.1", "3.0"]


def test_the_twins_keep_sixty_percent_of_the_bits_and_the_ladders_gop() -> None:
    # GIVEN the twins of a 1080p ladder
    plan = ladder()
    twins = heat.heat_plan(plan, plan.renditions)
    # WHEN the GPU command is built
    argv = heat.nvenc_hevc_command(twins, SOURCE, OUT)
    # THEN target, peak and buffer are the twins' (60 % of their H.264 renditions')
    assert _after(argv, "-b:v") == [f"{r.video_bitrate_kbps}k" for r in twins.renditions]
    assert _after(argv, "-maxrate") == [f"{r.max_bitrate_kbps}k" for r in twins.renditions]
    for twin, h264 in zip(twins.renditions, plan.renditions, strict=True):
        assert twin.video_bitrate_kbps == round(h264.video_bitrate_kbps * heat.EFFICIENT_BITRATE_RATIO)
    # AND the GOP is the ladder's, IDR forced on its cadence, no scene-cut keyframes
    gops = [str(r.keyframe_interval_frames) for r in plan.renditions]
    assert _after(argv, "-g") == gops and _after(argv, "-forced-idr") == ["1"] * len(gops)
    assert _after(argv, "-no-scenecut") == ["1"] * len(gops)


def test_the_twins_are_muxed_like_the_cpu_twins_and_no_stills_are_made() -> None:
    # GIVEN the twins of a 1080p ladder
    plan = ladder()
    twins = heat.heat_plan(plan, plan.renditions)
    # WHEN the GPU and the CPU commands are built
    gpu = heat.nvenc_hevc_command(twins, SOURCE, OUT)
    cpu = heat.hevc_command(twins, SOURCE, OUT)
    # THEN both mux every twin as one byte-range media file under {name}/ with the same -hls_time
    assert _after(gpu, "-hls_time") == _after(cpu, "-hls_time")
    assert _after(gpu, "-hls_segment_filename") == _after(cpu, "-hls_segment_filename")
    for twin in twins.renditions:
        assert " ".join(hls_output(twin, OUT)[:-3]) in " ".join(gpu)
    # AND the audio is the plan's AAC, and no poster or sprite is written
    assert _after(gpu, "-c:a") == ["aac"] * len(twins.renditions)
    assert not any(arg.endswith(".jpg") for arg in gpu)


def test_frames_decoded_on_the_cpu_are_uploaded_once() -> None:
    # GIVEN twins of a source NVDEC cannot keep on the GPU
    plan = ladder()
    twins = heat.heat_plan(plan, plan.renditions[:1])
    # WHEN the command is built with frames_on_gpu=False
    argv = heat.nvenc_hevc_command(twins, SOURCE, OUT, frames_on_gpu=False)
    # THEN frames are decoded without a CUDA output format and uploaded after fps
    assert "-hwaccel_output_format" not in argv
    (graph,) = _after(argv, "-filter_complex")
    assert graph.startswith("[0:v:0]fps=30/1,hwupload_cuda,split=1")


def test_the_h264_ladder_still_uses_h264_nvenc_without_the_hvc1_tag() -> None:
    # GIVEN the H.264 ladder WHEN the NVENC ladder command is built THEN it is h264_nvenc, untagged
    argv = nvenc_ladder_command(ladder(), SOURCE, OUT)
    assert set(_after(argv, "-c:v")) == {"h264_nvenc"} and "-tag:v" not in argv


def test_a_plan_that_is_not_twins_is_refused() -> None:
    # GIVEN the H.264 ladder, and twins with a poster
    plan = ladder()
    twins = heat.heat_plan(plan, plan.renditions)
    # WHEN either is handed to the NVENC twin command THEN it is refused as an invalid plan
    for wrong in (plan, replace(twins, poster=plan.poster)):
        with pytest.raises(InvalidRequest) as refused:
            heat.nvenc_hevc_command(wrong, SOURCE, OUT)
        assert refused.value.code == "invalid_plan"


def test_nvenc_refuses_a_codec_it_does_not_encode() -> None:
    # GIVEN a rendition planned as AV1 WHEN the NVENC ladder command is built THEN it is refused
    plan = ladder()
    av1 = replace(plan, renditions=(replace(plan.renditions[0], codec="av1"),))
    with pytest.raises(InvalidRequest):
        nvenc_ladder_command(av1, SOURCE, OUT)
