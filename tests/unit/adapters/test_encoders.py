"""A GPU transcode on a machine that cannot run it is the machine's failure, not the source's.

The stderr lines are ffmpeg's own, read on an NVIDIA H200 (a GPU without NVENC) with Debian's ffmpeg
5.1 (`benchmarks/transcode_gpu.py`), and on this project's CPU machines (no CUDA driver)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from reelstack.adapters.media.encoders import NvencHevcTranscoder, NvencTranscoder
from reelstack.domain.media import heat
from reelstack.domain.media.gpu_command import gpu_unavailable
from reelstack.errors import DependencyFailed
from tests.support.plans import ladder_plan

H200_STDERR = """[h264_nvenc @ 0x55663dc51180] OpenEncodeSessionEx failed: unsupported device (2): (no details)
[h264_nvenc @ 0x55663dc51180] No capable devices found
Error initializing output stream 0:0 -- Error while opening encoder for output stream #0:0 - maybe incorrect parameters such as bit_rate, rate, width or height
"""
NO_DRIVER_STDERR = """[AVHWDeviceContext @ 0x55e63d920f80] Cannot load libcuda.so.1
[AVHWDeviceContext @ 0x55e63d920f80] Could not dynamically load CUDA
Device creation failed: -1.
"""


def test_a_gpu_without_nvenc_is_named_as_such() -> None:
    # GIVEN ffmpeg's stderr on an H200, whose last line blames the encoder's parameters
    # WHEN it is read THEN the reason is the missing NVENC, with the instances that have one
    reason = gpu_unavailable(H200_STDERR)
    assert reason is not None and "no usable NVENC" in reason and "g4dn" in reason


def test_a_container_without_the_driver_is_named_as_such() -> None:
    # GIVEN ffmpeg's stderr where libcuda cannot be loaded WHEN it is read THEN the driver is named
    assert (
        gpu_unavailable(NO_DRIVER_STDERR)
        == "no CUDA driver or NVIDIA video engine is available to this container"
    )


def test_a_source_error_is_not_a_machine_error() -> None:
    # GIVEN an error about the source WHEN it is read THEN it is not the machine's
    assert gpu_unavailable("source.mp4: Invalid data found when processing input\n") is None


@pytest.mark.skipif(shutil.which("nvidia-smi") is not None, reason="this machine has an NVIDIA GPU")
@pytest.mark.parametrize("kind", ["ladder", "twins"])
def test_the_gpu_transcoders_fail_as_unavailable_on_a_machine_without_a_gpu(
    tmp_path: Path, kind: str
) -> None:
    # GIVEN a real 1-second source and this GPU-less machine
    source = tmp_path / "source.mp4"
    subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=1",
         "-c:v", "libx264", "-pix_fmt", "yuv420p", str(source)],
        check=True,
    )  # fmt: skip
    ladder = ladder_plan(display_width=320, display_height=240, duration_s=1.0, has_audio=False)
    plan = ladder if kind == "ladder" else heat.heat_plan(ladder, ladder.renditions[:1])
    transcoder = NvencTranscoder(frames_on_gpu=True) if kind == "ladder" else NvencHevcTranscoder()
    # WHEN the GPU transcoder (the NVENC ladder, or the NVENC HEVC twins) runs the plan
    with pytest.raises(DependencyFailed) as failed:
        transcoder.run(plan, str(source), str(tmp_path / "out"))
    # THEN it is gpu_unavailable (retried as a new job), and nothing was left behind
    assert failed.value.code == "gpu_unavailable"
    assert not any(p.is_file() for p in (tmp_path / "out").rglob("*"))
