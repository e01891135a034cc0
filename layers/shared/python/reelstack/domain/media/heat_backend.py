"""Where the high-heat workflow encodes its HEVC twins: the ffmpeg Lambda (libx265) or the GPU container
(NVENC on AWS Batch).

The estimate is ingest's (`backends.choose_backend`: one decode plus every output's megapixel-frames,
against 60 % of the Lambda's 15 minutes and of its /tmp) with libx265's cost per megapixel-frame in
place of libx264's. That cost comes from `storage_costs.EncodeSpeeds`, the same estimate the ROI
decision prices re-encodes with: libx265 runs ~0.4x realtime for one 1080p30 output on a 10,240 MB
Lambda, so one output megapixel-frame costs `effective_vcpus / (0.4 x 1920 x 1080 x 30 / 1e6)` vCPU
seconds (~0.16, five times libx264 veryfast's 0.03). 1080p twins of more than about three minutes of
video do not fit.

The choice:
- the twins fit the Lambda budget: the Lambda;
- they do not, and this deployment has the GPU backend (GpuTranscoderImageUri set): the GPU container;
- they do not and there is no GPU backend: the Lambda anyway, and the reason says it will likely time
  out (the Encode Task's Catch then records the failure on the video's timeline; the video keeps its
  H.264 ladder). MediaConvert (H_265 outputs) is not offered for twins yet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from reelstack.domain.media.backends import (
    AUTO,
    Backend,
    BackendChoice,
    EncodeOutput,
    LambdaBudget,
    choose_backend,
)
from reelstack.domain.storage.storage_costs import Codec, EncodeSpeeds

REFERENCE_HEIGHT = 1080  # EncodeSpeeds' speeds are per 1080p30 output
REFERENCE_MEGAPIXEL_FRAMES_PER_S = 1920 * 1080 * 30 / 1e6


def hevc_lambda_budget(base: LambdaBudget | None = None, speeds: EncodeSpeeds | None = None) -> LambdaBudget:
    """`base` (the default Lambda budget) with libx265's encode cost per output megapixel-frame."""
    budget = base or LambdaBudget()
    speed = (speeds or EncodeSpeeds()).speed(Backend.LAMBDA, Codec.HEVC, REFERENCE_HEIGHT)
    cost = budget.effective_vcpus / (speed * REFERENCE_MEGAPIXEL_FRAMES_PER_S)
    return replace(budget, encode_s_per_megapixel_frame=cost)


def choose_heat_backend(
    twins: Sequence[EncodeOutput],
    *,
    source_pixels: int,
    source_frame_rate: float,
    duration_s: float,
    source_bytes: int,
    audio_kbps: int,
    gpu_available: bool,
    budget: LambdaBudget | None = None,
) -> BackendChoice:
    """The Lambda while the twins fit its budget, else the GPU container if deployed, else the Lambda."""
    on_lambda = choose_backend(
        AUTO,
        twins,
        source_pixels=source_pixels,
        source_frame_rate=source_frame_rate,
        duration_s=duration_s,
        source_bytes=source_bytes,
        audio_kbps=audio_kbps,
        budget=budget or hevc_lambda_budget(),
    )
    if on_lambda.backend is Backend.LAMBDA:
        return on_lambda
    if gpu_available:
        return replace(on_lambda, backend=Backend.GPU, reason=f"{on_lambda.reason}: the GPU container")
    reason = (
        f"{on_lambda.reason}, and this deployment has no GPU backend: the Lambda anyway (it may time out)"
    )
    return replace(on_lambda, backend=Backend.LAMBDA, reason=reason)
