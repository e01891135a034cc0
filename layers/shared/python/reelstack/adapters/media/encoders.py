"""`FfmpegTranscoder` with other encoders: the libx265 HEVC twins, the NVENC ladder and NVENC twins.

Each variant changes only the ffmpeg command; the checks, measured bitrates, content-addressed media
files and master playlist are `FfmpegTranscoder`'s, so every backend produces the same keys. The
ffmpeg Lambda's heat path uses `HevcTranscoder`; the GPU container (infra/containers/gpu-transcoder)
and `benchmarks/transcode_gpu.py` use the NVENC ones. No SDK here: only the ffmpeg and ffprobe binaries.
"""

from __future__ import annotations

import json
import subprocess

from reelstack.adapters.media.transcoder import DEFAULT_TIMEOUT_S, FfmpegTranscoder
from reelstack.domain.media import heat
from reelstack.domain.media.gpu_command import frames_stay_on_gpu, gpu_unavailable, nvenc_ladder_command
from reelstack.domain.media.media import rotation_of, video_stream
from reelstack.domain.media.renditions import Plan
from reelstack.errors import DependencyFailed, ReelstackError


def frames_on_gpu(source_path: str, ffprobe: str = "ffprobe") -> bool:
    """Probe the first video stream: keep frames on the GPU unless rotation, codec or chroma forbid it."""
    command = [ffprobe, "-v", "error", "-show_streams", "-of", "json", source_path]
    result = subprocess.run(command, capture_output=True, timeout=120, check=False)
    stream = video_stream(json.loads(result.stdout or b"{}")) if result.returncode == 0 else None
    if stream is None:
        return False  # the transcoder's own checks report what is wrong with the source
    codec, pixel_format = str(stream.get("codec_name", "")), str(stream.get("pix_fmt", ""))
    return frames_stay_on_gpu(codec, pixel_format, rotation_of(stream))


class HevcTranscoder(FfmpegTranscoder):
    """The HEVC twins on libx265 (`heat.hevc_command`); no stills."""

    def command(self, plan: Plan, source_path: str, out_dir: str) -> list[str]:
        return heat.hevc_command(
            plan, source_path, out_dir, ffmpeg=self.ffmpeg, preset=self.preset, threads=self.threads
        )


class GpuTranscoder(FfmpegTranscoder):
    """A transcoder whose run needs the GPU: a machine without NVENC or CUDA is `gpu_unavailable`, a
    DependencyFailed (the workflow retries it as a new job), never the source's `transcode_failed`."""

    def machine_failure(self, stderr: str) -> ReelstackError | None:
        reason = gpu_unavailable(stderr)
        return None if reason is None else DependencyFailed(reason, code="gpu_unavailable")


class NvencTranscoder(GpuTranscoder):
    """The H.264 ladder on NVENC (`gpu_command.nvenc_ladder_command`), poster and sprite included."""

    def __init__(
        self, frames_on_gpu: bool, timeout_s: float = DEFAULT_TIMEOUT_S, ffmpeg: str = "ffmpeg"
    ) -> None:
        super().__init__(ffmpeg=ffmpeg, timeout_s=timeout_s)
        self.frames_on_gpu = frames_on_gpu

    def command(self, plan: Plan, source_path: str, out_dir: str) -> list[str]:
        return nvenc_ladder_command(
            plan, source_path, out_dir, frames_on_gpu=self.frames_on_gpu, ffmpeg=self.ffmpeg
        )


class NvencHevcTranscoder(GpuTranscoder):
    """The HEVC twins on NVENC (`heat.nvenc_hevc_command`), checked like the libx265 twins.

    The source is probed where ffmpeg will read it (the original, or the rendition's playlist), so
    frames stay on the GPU unless rotation, codec or chroma forbid it."""

    def command(self, plan: Plan, source_path: str, out_dir: str) -> list[str]:
        on_gpu = frames_on_gpu(source_path, self.ffprobe)
        return heat.nvenc_hevc_command(plan, source_path, out_dir, frames_on_gpu=on_gpu, ffmpeg=self.ffmpeg)
