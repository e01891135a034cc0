"""The GPU backend's one ffmpeg run: decode once on NVDEC, scale on CUDA, encode every rendition on NVENC.

    ffmpeg -hwaccel cuda -hwaccel_output_format cuda -i SRC -filter_complex
      [0:v:0]fps=R,split=5[r0][r1][r2][poster][sprite]
      [r0]scale_cuda=w=1920:h=1080:format=nv12:interp_algo=lanczos,setsar=1[v0]     (per rendition)
      [poster]trim=start=T,scale_cuda=...,hwdownload,format=nv12,setsar=1[p]        (to the CPU: JPEG)
      [sprite]fps=1/I,trim=end_frame=N,scale_cuda=...,hwdownload,format=nv12,setsar=1,tile=CxR[s]

Everything but the encoder and the CUDA filters is `ffmpeg_ladder`'s (the ffmpeg Lambda's), so the
outputs are interchangeable: each rendition is `{name}/playlist.m3u8` and one fMP4 file holding the
init section and every segment, addressed by byte ranges (VOD, `-hls_time` = the exact GOP length,
the plan's audio muxed in), plus `poster.jpg` and `sprite.jpg`; `FfmpegTranscoder` then checks them,
renames the media file ffmpeg wrote as `{name}/media.mp4` after its content (`media-<hash>.mp4`,
the playlist rewritten to match) and adds the master playlist and the sprite's WebVTT index exactly
as it does for the Lambda.

NVENC: `h264_nvenc`, or `hevc_nvenc` (`-tag:v hvc1`) for a rendition whose codec is "hevc" (the
high-heat workflow's twins, `heat.nvenc_hevc_command`); VBR at the planned target, peak and buffer (`-b:v -maxrate -bufsize`), keyframes only on the
GOP cadence (`-g` = `keyframe_interval_frames`, forced IDR frames at the same frame numbers as the CPU
ladder, `-no-scenecut 1` so lookahead adds none, `-strict_gop 1`), the plan's profile and level.

Frames stay in GPU memory unless the source needs the CPU first (`frames_stay_on_gpu`): ffmpeg's
autorotate is a CPU transpose, and a codec or chroma format NVDEC cannot decode falls back to the
CPU decoder. Then `frames_on_gpu=False` decodes without `-hwaccel_output_format cuda` and uploads the
frames (once, after `fps`) with `hwupload_cuda`.
"""

from __future__ import annotations

import os
from fractions import Fraction

from reelstack.domain.media import ffmpeg_ladder
from reelstack.domain.media.renditions import Plan, PosterPlan, Rendition, SpritePlan
from reelstack.errors import InvalidRequest

NVENC_PRESET = "p5"  # slow (good quality); p4 is NVENC's default "medium"
LOOKAHEAD_FRAMES = 20  # VBR rate-control lookahead; -no-scenecut keeps it from adding I-frames
SCALE_ALGORITHM = "lanczos"
EXTRA_DECODER_SURFACES = 8  # frames held by fps/split while every encoder catches up
# A rendition's codec -> its NVENC encoder: the H.264 ladder, or the high-heat workflow's HEVC twins
# (`heat.hevc_twin`: profile main, the level its limits need, `-tag:v hvc1` for Apple's players).
NVENC_ENCODERS = {"h264": "h264_nvenc", "hevc": "hevc_nvenc"}

# What every NVDEC since Turing (g4dn's T4) decodes, in 8-bit 4:2:0; 10-bit only for HEVC and VP9 (NVDEC
# has no H.264 High 10). AV1 needs Ampere (g5) or later, so it takes the CPU-decode path.
NVDEC_CODECS = frozenset({"h264", "hevc", "vp9", "mpeg1video", "mpeg2video", "mpeg4", "vc1"})
EIGHT_BIT_420 = frozenset({"yuv420p", "yuvj420p", "nv12"})
TEN_BIT_420 = frozenset({"yuv420p10le", "p010le"})
TEN_BIT_CODECS = frozenset({"hevc", "vp9"})


# What ffmpeg writes when the machine cannot run the GPU path at all (not the source's fault): a GPU
# without NVENC (the data-centre A100/H100/H200 have none; `OpenEncodeSessionEx failed: unsupported
# device` was read on an H200), or no CUDA driver / video engine in the container.
NVENC_MISSING = (
    "No capable devices found",
    "OpenEncodeSessionEx failed: unsupported device",
    "Cannot load libnvidia-encode",
)
CUDA_MISSING = ("Cannot load libcuda", "Could not dynamically load CUDA", "Cannot load libnvcuvid")


def gpu_unavailable(stderr: str) -> str | None:
    """A plain reason when ffmpeg's stderr shows the GPU path cannot run on this machine, else None."""
    if any(hint in stderr for hint in NVENC_MISSING):
        return "this machine's GPU has no usable NVENC encoder (the GPU backend needs one: g4dn, g5)"
    if any(hint in stderr for hint in CUDA_MISSING):
        return "no CUDA driver or NVIDIA video engine is available to this container"
    return None


def frames_stay_on_gpu(codec: str, pixel_format: str, rotation: int) -> bool:
    """Whether decoded frames can stay in GPU memory: NVDEC decodes it (4:2:0) and no rotation is due."""
    if rotation % 360 != 0 or codec not in NVDEC_CODECS:
        return False
    return pixel_format in EIGHT_BIT_420 or (codec in TEN_BIT_CODECS and pixel_format in TEN_BIT_420)


def _scale(width: int, height: int) -> str:
    return f"scale_cuda=w={width}:h={height}:format=nv12:interp_algo={SCALE_ALGORITHM}"


def _poster_chain(poster: PosterPlan) -> str:
    return (
        f"trim=start={ffmpeg_ladder.seconds_text(poster.time_s)},{_scale(poster.width, poster.height)},"
        "hwdownload,format=nv12,setsar=1"
    )


def _sprite_chain(sprite: SpritePlan) -> str:
    every = Fraction(1) / Fraction(str(sprite.interval_s))
    return (
        f"fps={every.numerator}/{every.denominator},trim=end_frame={sprite.count},"
        f"{_scale(sprite.thumb_width, sprite.thumb_height)},hwdownload,format=nv12,setsar=1,"
        f"tile={sprite.columns}x{sprite.rows}"
    )


def filter_graph(plan: Plan, *, frames_on_gpu: bool = True) -> str:
    """One decode -> fps -> (upload) -> split into every rendition, the poster and the sprite."""
    head = f"fps={plan.renditions[0].frame_rate_fraction}" + ("" if frames_on_gpu else ",hwupload_cuda")
    branches = [f"r{index}" for index in range(len(plan.renditions))]
    chains = [f"[r{i}]{_scale(r.width, r.height)},setsar=1[v{i}]" for i, r in enumerate(plan.renditions)]
    if plan.poster is not None:
        branches.append("poster")
        chains.append(f"[poster]{_poster_chain(plan.poster)}[p]")
    if plan.sprite is not None:
        branches.append("sprite")
        chains.append(f"[sprite]{_sprite_chain(plan.sprite)}[s]")
    split = f"[0:v:0]{head},split={len(branches)}" + "".join(f"[{b}]" for b in branches)
    return ";".join([split, *chains])


def _encoder_options(rendition: Rendition) -> list[str]:
    """NVENC for the rendition's codec: `h264_nvenc`, or `hevc_nvenc` tagged `hvc1` (a heat twin)."""
    if rendition.codec not in NVENC_ENCODERS:
        raise InvalidRequest(f"NVENC does not encode {rendition.codec!r}", code="invalid_plan")
    gop = str(rendition.keyframe_interval_frames)
    tag = ["-tag:v", "hvc1"] if rendition.codec == "hevc" else []
    return [
        "-c:v", NVENC_ENCODERS[rendition.codec], *tag, "-preset", NVENC_PRESET, "-tune", "hq",
        "-profile:v", rendition.profile, "-level:v", rendition.level,
        "-rc", "vbr",
        "-b:v", f"{rendition.video_bitrate_kbps}k",
        "-maxrate", f"{rendition.max_bitrate_kbps}k",
        "-bufsize", f"{rendition.buffer_kbps}k",
        "-g", gop, "-keyint_min", gop,
        "-force_key_frames", f"expr:eq(mod(n,{gop}),0)", "-forced-idr", "1",
        "-rc-lookahead", str(LOOKAHEAD_FRAMES), "-no-scenecut", "1", "-strict_gop", "1",
        "-spatial-aq", "1",
    ]  # fmt: skip


def nvenc_ladder_command(
    plan: Plan, source: str, out_dir: str, *, frames_on_gpu: bool = True, ffmpeg: str = "ffmpeg"
) -> list[str]:
    """The whole ffmpeg argv: every rendition (with the plan's audio), the poster and the sprite.

    The rendition folders under `out_dir` must exist first (`ffmpeg_ladder.output_dirs`).
    """
    decode = ["-hwaccel", "cuda", "-hwaccel_output_format", "cuda"] if frames_on_gpu else ["-hwaccel", "cuda"]
    command = [
        ffmpeg, "-nostdin", "-hide_banner", "-nostats", "-v", "error", "-y",
        *decode, "-extra_hw_frames", str(EXTRA_DECODER_SURFACES),
        "-i", source,
        "-filter_complex", filter_graph(plan, frames_on_gpu=frames_on_gpu),
    ]  # fmt: skip
    for index, rendition in enumerate(plan.renditions):
        command += [
            "-map",
            f"[v{index}]",
            *_encoder_options(rendition),
            *ffmpeg_ladder.audio_options(plan.audio),
        ]
        command += ffmpeg_ladder.hls_output(rendition, out_dir, ("-max_muxing_queue_size", "4096"))
    if plan.poster is not None:
        command += ffmpeg_ladder.image_output(
            "p", ffmpeg_ladder.POSTER_QUALITY, os.path.join(out_dir, plan.poster.key)
        )
    if plan.sprite is not None:
        command += ffmpeg_ladder.image_output(
            "s", ffmpeg_ladder.SPRITE_QUALITY, os.path.join(out_dir, plan.sprite.key)
        )
    return command
