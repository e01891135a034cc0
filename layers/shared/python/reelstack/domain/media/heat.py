"""High-heat re-encodes (pure): HEVC twins of a published video's H.264 renditions, and the master
playlist that offers them beside the H.264 ladder.

What is re-encoded: the H.264 renditions of the video's ladder at or above `min_height` (0: all of
them), or the ones named. Every rung gets its twin by default: a capable player still needs low
rungs to switch down on a poor network, and HEVC's saving is proportionally the same at every rung.

How (`hevc_command`): one ffmpeg run decodes the source once, converts it to the ladder's constant
frame rate and splits it into one libx265 encode per twin, scaled exactly like its H.264 rendition.
The GOP is the ladder's (`keyframe_interval_frames`, closed, IDR forced at the same frame numbers,
no scene-cut keyframes) and the HLS muxing is `ffmpeg_ladder.hls_output`, so HEVC segments cover the
same time ranges as the H.264 ones (a player may switch codec at a segment boundary without a gap),
and each twin is the same two objects: one media file (init section and segments; written as
`{name}/media.mp4`, uploaded as `{name}/media-<hash>.mp4` after the transcoder names it by its
content) addressed by byte ranges from `{name}/playlist.m3u8`. Twins made again (a second run, or
after tiering reclaimed them) are not byte-identical, so their media file gets a new key.
On the GPU container (`nvenc_hevc_command`) the same twins come from NVDEC -> `scale_cuda` ->
`hevc_nvenc`: `gpu_command`'s ladder command with the HEVC encoder, so GOPs and muxing are the ones
above. `-tag:v hvc1` keeps the parameter sets in the sample entry (`hvcC`), which Apple's players require.

Bitrates: `EFFICIENT_BITRATE_RATIO` (60 %) of the H.264 rendition's target, peak and buffer: HEVC
is commonly measured at 40-50 % fewer bits than H.264 for equal quality; 60 % keeps a margin for a
fast preset and matches `roi.RoiPolicy.efficient_size_ratio`, the saving the ROI decision assumed.

CODECS (RFC 6381 + ISO/IEC 14496-15 Annex E): `hvc1.1.6.L<level_idc>.90` is Main profile
(general_profile_idc 1), compatibility flags 0x6 (Main and Main 10 bits, bit-reversed), Main tier
(`L`), level_idc = 30 x level (3.1 -> 93), constraint byte 0x90 (progressive source, frame-only):
the bytes libx265 writes in the init segment's `hvcC` (the integration test reads them back;
Apple's examples show 0xB0, which also sets the non-packed flag x265 leaves clear). The
level is the lowest of ITU-T H.265 Table A.8 (Main tier) whose luma picture size, luma sample rate,
bitrate and CPB size all hold; the encoder is told the same level (`level-idc`), so stream and
playlist agree.

The master playlist (`merge_master`): the existing text is kept line for line (the H.264 variants
unchanged, in their order, first, so a player that starts on the first listed variant starts on one
every device decodes); one EXT-X-STREAM-INF per twin is appended with BANDWIDTH (the planned peak,
raised to the measured peak segment bitrate like `hls.master_playlist`), AVERAGE-BANDWIDTH (measured),
RESOLUTION, CODECS and FRAME-RATE. Variants already naming a twin's playlist are replaced, so a second
run leaves one variant per twin.

AV1 (libsvtav1) is not offered yet: `HeatCodec` accepts only "hevc".
"""

from __future__ import annotations

import math
import os
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reelstack.domain.media import ffmpeg_ladder, gpu_command
from reelstack.domain.media.hls import MeasuredBandwidth
from reelstack.domain.media.renditions import AudioPlan, Plan, Rendition
from reelstack.errors import InvalidRequest

HEVC = "hevc"
H264 = "h264"
# `h264` is a regeneration: the reclaimed H.264 rungs (`Playback.reclaimed`) made again from the original.
SUPPORTED_CODECS = (HEVC, H264)
EFFICIENT_BITRATE_RATIO = 0.6
HEVC_PROFILE = "main"
HEVC_CONSTRAINT_BYTE = "90"  # what libx265 writes in hvcC: progressive_source + frame_only_constraint


class HeatDocument(BaseModel):
    """The heat workflow's document: started with `{video_id, codec}`; Plan adds `plan`, Encode (the
    Lambda or the GPU container) `outputs`."""

    model_config = ConfigDict(extra="allow")

    video_id: str = Field(min_length=1)
    codec: str = HEVC
    renditions: list[str] | None = None  # H.264 rendition names to twin; None: by `min_height`
    min_height: int = Field(default=0, ge=0)  # short side; 0: every rung
    plan: dict[str, Any] | None = None  # Plan: backend (lambda | gpu), reason, estimates, the GPU job's keys
    outputs: dict[str, Any] | None = None  # Encode: source, variants (planned + measured), keys


@dataclass(frozen=True)
class HevcLevel:
    """One row of ITU-T H.265 Table A.8 (Main tier): limits a stream of this level keeps."""

    idc: int  # general_level_idc = 30 x level
    max_luma_picture_size: int
    max_luma_sample_rate: int
    max_bitrate_kbps: int  # Main tier, Main profile (cpbBrVclFactor 1000)
    max_cpb_kbits: int

    @property
    def name(self) -> str:
        major, minor = divmod(self.idc, 30)
        return f"{major}.{minor // 3}" if minor else f"{major}.0"


HEVC_LEVELS: tuple[HevcLevel, ...] = tuple(
    HevcLevel(*row)
    for row in (
        (30, 36_864, 552_960, 128, 350),
        (60, 122_880, 3_686_400, 1_500, 1_500),
        (63, 245_760, 7_372_800, 3_000, 3_000),
        (90, 552_960, 16_588_800, 6_000, 6_000),
        (93, 983_040, 33_177_600, 10_000, 10_000),
        (120, 2_228_224, 66_846_720, 12_000, 12_000),
        (123, 2_228_224, 133_693_440, 20_000, 20_000),
        (150, 8_912_896, 267_386_880, 25_000, 25_000),
        (153, 8_912_896, 534_773_760, 40_000, 40_000),
        (156, 8_912_896, 1_069_547_520, 60_000, 60_000),
        (180, 35_651_584, 1_069_547_520, 60_000, 60_000),
        (183, 35_651_584, 2_139_095_040, 120_000, 120_000),
        (186, 35_651_584, 4_278_190_080, 240_000, 240_000),
    )
)


def hevc_level(width: int, height: int, rate: Fraction, max_kbps: int, buffer_kbps: int) -> HevcLevel:
    """The lowest Main-tier level whose picture size (and its 8x-square side bound), sample rate,
    bitrate and CPB hold this stream."""
    picture = width * height
    for level in HEVC_LEVELS:
        side = math.sqrt(level.max_luma_picture_size * 8)
        if (
            picture <= level.max_luma_picture_size
            and max(width, height) <= side
            and picture * rate <= level.max_luma_sample_rate
            and max_kbps <= level.max_bitrate_kbps
            and buffer_kbps <= level.max_cpb_kbits
        ):
            return level
    raise InvalidRequest(
        f"{width}x{height} at {float(rate):g} fps is beyond HEVC level 6.2", code="invalid_plan"
    )


def hevc_codec_tag(level: HevcLevel) -> str:
    """RFC 6381 `hvc1` string of a Main profile, Main tier stream at `level`."""
    return f"hvc1.1.6.L{level.idc}.{HEVC_CONSTRAINT_BYTE}"


def twin_name(rendition_name: str, codec: str = HEVC) -> str:
    """`720p` -> `720p-hevc`: the twin's folder beside its H.264 rendition."""
    return f"{rendition_name}-{codec}"


def hevc_twin(rendition: Rendition, audio: AudioPlan | None) -> Rendition:
    """The HEVC rendition made beside `rendition`: same size, frame rate and GOP; 60 % of its bits."""
    video = max(1, round(rendition.video_bitrate_kbps * EFFICIENT_BITRATE_RATIO))
    peak = max(video, round(rendition.max_bitrate_kbps * EFFICIENT_BITRATE_RATIO))
    buffer = max(peak, round(rendition.buffer_kbps * EFFICIENT_BITRATE_RATIO))
    rate = Fraction(rendition.frame_rate_fraction)
    level = hevc_level(rendition.width, rendition.height, rate, peak, buffer)
    tag = hevc_codec_tag(level)
    audio_kbps = audio.bitrate_kbps if audio else 0
    return replace(
        rendition,
        name=twin_name(rendition.name),
        codec=HEVC,
        profile=HEVC_PROFILE,
        level=level.name,
        video_bitrate_kbps=video,
        max_bitrate_kbps=peak,
        buffer_kbps=buffer,
        video_codec_tag=tag,
        codecs=f"{tag},{audio.codec_tag}" if audio else tag,
        bandwidth=(peak + audio_kbps) * 1000,
        average_bandwidth=(video + audio_kbps) * 1000,
    )


def check_codec(codec: str) -> str:
    if codec not in SUPPORTED_CODECS:
        raise InvalidRequest(
            f"codec {codec!r} is not offered (supported: {', '.join(SUPPORTED_CODECS)})",
            code="unsupported_codec",
        )
    return codec


def select_renditions(
    plan: Plan, published: Iterable[str], names: Sequence[str] | None = None, min_height: int = 0
) -> tuple[Rendition, ...]:
    """The plan's H.264 renditions that are published and either named or at least `min_height` tall
    (short side); an empty choice is `nothing_to_reencode`."""
    available = {r.name: r for r in plan.renditions if r.codec == H264 and r.name in set(published)}
    if names is not None:
        unknown = sorted(set(names) - set(available))
        if unknown:
            raise InvalidRequest(
                f"no published H.264 rendition {', '.join(unknown)}", code="unknown_rendition"
            )
        chosen = [r for r in plan.renditions if r.name in set(names)]
    else:
        chosen = [r for r in available.values() if min(r.width, r.height) >= min_height]
    if not chosen:
        raise InvalidRequest("no H.264 rendition qualifies for a re-encode", code="nothing_to_reencode")
    return tuple(chosen)


def select_reclaimed(
    plan: Plan, reclaimed: Iterable[str], names: Sequence[str] | None = None
) -> tuple[Rendition, ...]:
    """The plan's H.264 rungs that were reclaimed (those of `names`, if given); none is
    `nothing_to_regenerate`, a name not reclaimed `unknown_rendition`."""
    missing = {r.name: r for r in plan.renditions if r.codec == H264 and r.name in set(reclaimed)}
    if names is not None:
        unknown = sorted(set(names) - set(missing))
        if unknown:
            raise InvalidRequest(
                f"no reclaimed H.264 rendition {', '.join(unknown)}", code="unknown_rendition"
            )
        missing = {name: rendition for name, rendition in missing.items() if name in set(names)}
    if not missing:
        raise InvalidRequest("no reclaimed rendition to regenerate", code="nothing_to_regenerate")
    return tuple(r for r in plan.renditions if r.name in missing)


def regeneration_plan(plan: Plan, chosen: Sequence[Rendition]) -> Plan:
    """The plan of a regeneration: the reclaimed rungs exactly as ingest planned them, no images."""
    return replace(
        plan, renditions=tuple(chosen), poster=None, sprite=None, master_playlist="regenerated-only.m3u8"
    )


def heat_plan(plan: Plan, chosen: Sequence[Rendition]) -> Plan:
    """The plan of the re-encode: the twins of `chosen` (highest first), audio kept, no images."""
    twins = tuple(hevc_twin(r, plan.audio) for r in chosen)
    return replace(plan, renditions=twins, poster=None, sprite=None, master_playlist="hevc-only.m3u8")


def _hevc_options(rendition: Rendition, preset: str, threads: int | None) -> list[str]:
    gop = rendition.keyframe_interval_frames
    x265 = ":".join(
        (
            "log-level=error",
            f"keyint={gop}",
            f"min-keyint={gop}",
            "scenecut=0",
            "open-gop=0",
            f"level-idc={rendition.level}",
            *([] if threads is None else [f"pools={threads}"]),
        )
    )
    return [
        "-c:v", "libx265", "-preset", preset, "-tag:v", "hvc1", "-profile:v", HEVC_PROFILE,
        "-b:v", f"{rendition.video_bitrate_kbps}k",
        "-maxrate", f"{rendition.max_bitrate_kbps}k",
        "-bufsize", f"{rendition.buffer_kbps}k",
        "-g", str(gop), "-keyint_min", str(gop), "-forced-idr", "1",
        "-force_key_frames", f"expr:eq(mod(n,{gop}),0)",
        "-x265-params", x265,
        "-pix_fmt", "yuv420p",
    ]  # fmt: skip


def hevc_command(
    plan: Plan,
    source: str,
    out_dir: str,
    *,
    ffmpeg: str = "ffmpeg",
    preset: str = ffmpeg_ladder.DEFAULT_PRESET,
    threads: int | None = None,
) -> list[str]:
    """One ffmpeg run making every twin of a `heat_plan` (single-file byte-range HLS fMP4 under
    `{out_dir}/{name}/`)."""
    _check_twins(plan)
    count = len(plan.renditions)
    rate = plan.renditions[0].frame_rate_fraction
    split = f"[0:v:0]fps={rate},split={count}" + "".join(f"[r{i}]" for i in range(count))
    chains = [f"[r{i}]{ffmpeg_ladder.video_chain(r)}[v{i}]" for i, r in enumerate(plan.renditions)]
    outputs: list[str] = []
    for index, rendition in enumerate(plan.renditions):
        outputs += [
            "-map", f"[v{index}]",
            *_hevc_options(rendition, preset, threads),
            *ffmpeg_ladder.audio_options(plan.audio),
            *ffmpeg_ladder.hls_output(rendition, out_dir),
        ]  # fmt: skip
    head = ffmpeg_ladder.input_head(ffmpeg, source, threads)
    return [*head, "-filter_complex", ";".join([split, *chains]), *outputs]


def nvenc_hevc_command(
    plan: Plan, source: str, out_dir: str, *, frames_on_gpu: bool = True, ffmpeg: str = "ffmpeg"
) -> list[str]:
    """The GPU container's run of a `heat_plan`: `gpu_command.nvenc_ladder_command`, whose encoder is
    `hevc_nvenc` (`-tag:v hvc1`, profile main, the twin's level) for HEVC renditions; NVDEC decode, CUDA
    scaling, the ladder's GOP cadence and the same single-file byte-range HLS muxing as `hevc_command`."""
    _check_twins(plan)
    return gpu_command.nvenc_ladder_command(plan, source, out_dir, frames_on_gpu=frames_on_gpu, ffmpeg=ffmpeg)


def _check_twins(plan: Plan) -> None:
    """A heat plan: HEVC renditions only, no poster or sprite."""
    if not plan.renditions or any(r.codec != HEVC for r in plan.renditions):
        raise InvalidRequest("a heat plan holds HEVC renditions only", code="invalid_plan")
    if plan.poster is not None or plan.sprite is not None:
        raise InvalidRequest("a heat plan makes no poster or sprite", code="invalid_plan")


@dataclass(frozen=True)
class Variant:
    """One EXT-X-STREAM-INF of the master playlist."""

    uri: str  # relative to the master: "720p-hevc/playlist.m3u8"
    bandwidth: int
    average_bandwidth: int
    width: int
    height: int
    codecs: str
    frame_rate: float

    def lines(self) -> list[str]:
        attributes = ",".join(
            (
                f"BANDWIDTH={self.bandwidth}",
                f"AVERAGE-BANDWIDTH={self.average_bandwidth}",
                f"RESOLUTION={self.width}x{self.height}",
                f'CODECS="{self.codecs}"',
                f"FRAME-RATE={self.frame_rate:.3f}",
            )
        )
        return [f"#EXT-X-STREAM-INF:{attributes}", self.uri]

    def to_dict(self) -> dict[str, Any]:
        return {
            "uri": self.uri,
            "bandwidth": self.bandwidth,
            "average_bandwidth": self.average_bandwidth,
            "width": self.width,
            "height": self.height,
            "codecs": self.codecs,
            "frame_rate": self.frame_rate,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Variant:
        try:
            return cls(
                uri=str(data["uri"]),
                bandwidth=int(data["bandwidth"]),
                average_bandwidth=int(data["average_bandwidth"]),
                width=int(data["width"]),
                height=int(data["height"]),
                codecs=str(data["codecs"]),
                frame_rate=float(data["frame_rate"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRequest(f"a variant is malformed: {exc}", code="invalid_workflow_document") from None


def variant_of(rendition: Rendition, measured: MeasuredBandwidth | None) -> Variant:
    """The twin's variant: planned peak raised to the measured peak; measured average when known."""
    return Variant(
        uri=rendition.playlist,
        bandwidth=max(rendition.bandwidth, measured.peak) if measured else rendition.bandwidth,
        average_bandwidth=measured.average if measured else rendition.average_bandwidth,
        width=rendition.width,
        height=rendition.height,
        codecs=rendition.codecs,
        frame_rate=rendition.frame_rate,
    )


def merge_master(existing: str, variants: Sequence[Variant]) -> str:
    """`existing` with `variants` appended; a variant already listed under the same URI is replaced."""
    kept = master_without(existing, {variant.uri for variant in variants}).splitlines()
    for variant in variants:
        kept += variant.lines()
    return "\n".join(kept) + "\n"


def master_without(existing: str, uris: Collection[str]) -> str:
    """`existing` without the variants listed under `uris` (replaced by a merge, or reclaimed)."""
    lines = [line.rstrip("\r") for line in existing.splitlines()]
    if not lines or lines[0].strip() != "#EXTM3U":
        raise InvalidRequest("the master playlist does not start with #EXTM3U", code="invalid_playlist")
    replaced = set(uris)
    kept: list[str] = []
    pending: list[str] = []  # an EXT-X-STREAM-INF (and tags after it) waiting for its URI line
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#EXT-X-STREAM-INF"):
            pending = [line]
        elif pending and stripped and not stripped.startswith("#"):
            if stripped not in replaced:
                kept += [*pending, line]
            pending = []
        elif pending:
            pending.append(line)
        elif stripped:
            kept.append(line)
    kept += pending
    return "\n".join(kept) + "\n"


def twin_playback_entry(
    variant: Variant, name: str, output_prefix: str, measured_average: int, codec: str = HEVC
) -> dict[str, Any]:
    """The twin as the video's playback record lists renditions (what GET /videos/{id} shows)."""
    return {
        "name": name,
        "width": variant.width,
        "height": variant.height,
        "bitrate": measured_average,
        "peak_bitrate": variant.bandwidth,
        "codec": codec,
        "codecs": variant.codecs,
        "playlist_key": f"{output_prefix}{variant.uri}",
    }


def merge_renditions(
    existing: Sequence[Mapping[str, Any]], added: Sequence[Mapping[str, Any]]
) -> tuple[dict[str, Any], ...]:
    """The playback record's renditions with `added` appended, replacing any of the same name."""
    names = {entry["name"] for entry in added}
    return tuple(dict(r) for r in existing if r.get("name") not in names) + tuple(dict(a) for a in added)


def folder_of(uri: str) -> str:
    """`720p-hevc/playlist.m3u8` -> `720p-hevc`."""
    return os.path.dirname(uri)
