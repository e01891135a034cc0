"""Which backend transcodes a plan: the ffmpeg Lambda while the job fits its budget, MediaConvert beyond.

The encode-time model counts megapixel-frames (pixels x frames, so 60 fps costs twice 30 fps):

    wall seconds = (output MP-frames x encode cost + source MP-frames x decode cost) / effective vCPUs

Default costs were measured with Debian's ffmpeg 5.1 on one AMD EPYC core (`-threads 1`): one
decode of a 15 Mbps 1080p30 H.264 clip split into 1080/720/480 libx264 `veryfast` encodes cost
0.0148 s per output MP-frame (scaling included) and 0.0051 s per decoded source MP-frame. The
defaults double both (real footage is busier than a test pattern, a Lambda vCPU is no faster than
that core, and HLS muxing and uploads ride on the same CPUs). A 10,240 MB Lambda has 6 vCPUs; two
threads on two cores gave 74 % parallel efficiency, so 6 vCPUs count as 4. Calibrate all of these
from the transcode benchmark.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

MiB = 1024 * 1024


class Backend(StrEnum):
    LAMBDA = "lambda"  # the ffmpeg Lambda
    MEDIACONVERT = "mediaconvert"
    GPU = "gpu"  # the NVENC container


AUTO = "auto"
BACKEND_CHOICES = (AUTO, *(backend.value for backend in Backend))


@dataclass(frozen=True)
class LambdaBudget:
    """What one ffmpeg Lambda invocation may spend, and how fast it encodes."""

    timeout_s: float = 900.0  # Lambda's 15-minute maximum
    safety_factor: float = 0.6  # share of the timeout and of /tmp a plan may count on
    ephemeral_storage_mb: int = 10240  # /tmp, MiB (Lambda's maximum)
    effective_vcpus: float = 4.0  # 6 vCPUs at 10,240 MB x ~0.7 parallel efficiency
    encode_s_per_megapixel_frame: float = 0.03  # libx264 veryfast, per vCPU, scaling included
    decode_s_per_megapixel_frame: float = 0.01  # one decode of the source, per vCPU

    @property
    def time_limit_s(self) -> float:
        return self.timeout_s * self.safety_factor

    @property
    def storage_limit_mb(self) -> float:
        return self.ephemeral_storage_mb * self.safety_factor


class EncodeOutput(Protocol):
    """What the estimate needs of a rendition."""

    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def frame_rate(self) -> float: ...
    @property
    def max_bitrate_kbps(self) -> int: ...


@dataclass(frozen=True)
class BackendChoice:
    backend: Backend
    reason: str
    estimated_encode_s: float  # on the ffmpeg Lambda, whichever backend is chosen
    estimated_storage_mb: float  # source + outputs in /tmp


def estimate_encode_s(
    outputs: Sequence[EncodeOutput],
    *,
    source_pixels: int,
    source_frame_rate: float,
    duration_s: float,
    budget: LambdaBudget,
) -> float:
    """Wall-clock seconds the ffmpeg Lambda needs: one decode, every rendition encoded."""
    output_mp_frames = sum(o.width * o.height * o.frame_rate for o in outputs) * duration_s / 1e6
    source_mp_frames = source_pixels * source_frame_rate * duration_s / 1e6
    work = (
        output_mp_frames * budget.encode_s_per_megapixel_frame
        + source_mp_frames * budget.decode_s_per_megapixel_frame
    )
    return work / budget.effective_vcpus


def estimate_storage_mb(
    outputs: Sequence[EncodeOutput], *, audio_kbps: int, duration_s: float, source_bytes: int
) -> float:
    """MiB in /tmp: the downloaded original plus every output at its peak bitrate."""
    output_kbps = sum(o.max_bitrate_kbps for o in outputs) + audio_kbps
    return (source_bytes + output_kbps * 1000 / 8 * duration_s) / MiB


def choose_backend(
    requested: str,
    outputs: Sequence[EncodeOutput],
    *,
    source_pixels: int,
    source_frame_rate: float,
    duration_s: float,
    source_bytes: int,
    audio_kbps: int,
    budget: LambdaBudget,
) -> BackendChoice:
    """The configured backend, or (for "auto") the Lambda while time and storage fit, else MediaConvert."""
    seconds = estimate_encode_s(
        outputs,
        source_pixels=source_pixels,
        source_frame_rate=source_frame_rate,
        duration_s=duration_s,
        budget=budget,
    )
    storage = estimate_storage_mb(
        outputs, audio_kbps=audio_kbps, duration_s=duration_s, source_bytes=source_bytes
    )
    seconds, storage = round(seconds, 1), round(storage, 1)
    if requested != AUTO:
        return BackendChoice(Backend(requested), "configured", seconds, storage)
    if seconds > budget.time_limit_s:
        reason = (
            f"estimated encode {seconds:.0f} s exceeds the Lambda budget of {budget.time_limit_s:.0f} s "
            f"({budget.timeout_s:.0f} s timeout x {budget.safety_factor:g})"
        )
        return BackendChoice(Backend.MEDIACONVERT, reason, seconds, storage)
    if storage > budget.storage_limit_mb:
        reason = (
            f"estimated {storage:.0f} MB of source and outputs exceeds the Lambda budget of "
            f"{budget.storage_limit_mb:.0f} MB ({budget.ephemeral_storage_mb} MB x {budget.safety_factor:g})"
        )
        return BackendChoice(Backend.MEDIACONVERT, reason, seconds, storage)
    reason = (
        f"fits the Lambda budget: encode ~{seconds:.0f} s of {budget.time_limit_s:.0f} s, "
        f"~{storage:.0f} MB of {budget.storage_limit_mb:.0f} MB"
    )
    return BackendChoice(Backend.LAMBDA, reason, seconds, storage)
