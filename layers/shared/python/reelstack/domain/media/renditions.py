"""The Plan stage: a declared `RenditionSpec` becomes a `Plan` for one source ("we decide how").

- Never upscale: ladder rungs above the source's short side are dropped. A rung the source misses
  by at most 3 % (a 1278x718 export of 720p) is made at the source's own size under the rung's
  name; a source below the lowest rung gets one rendition at its own size.
- Portrait aware: the ladder applies to the short side of the *display* size (after rotation and
  pixel aspect), the long side keeps the aspect, both rounded to even numbers (4:2:0 chroma).
  Outputs have square pixels: the encoders scale to exactly `width`x`height` with `setsar=1`.
- One frame rate for every rendition: the source's, capped (by whole-number division) at the spec's
  cap, so keyframes every `segment_seconds` align across renditions (GOP = segment).
- No audio plan when the source has no audio track.
- The backend: `backends.choose_backend` (the ffmpeg Lambda while the job fits its budget).

The plan travels as JSON in the workflow document: `Plan.from_dict(plan.to_dict()) == plan`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any, Protocol

from reelstack.domain.media import bitrates
from reelstack.domain.media.backends import Backend, LambdaBudget, choose_backend
from reelstack.domain.media.rendition_spec import RenditionSpec, SpriteSpec
from reelstack.domain.media.rendition_spec import parse_rendition_spec as parse_rendition_spec  # re-exported
from reelstack.errors import InvalidRequest

RUNG_TOLERANCE = 0.03  # a source this close below a rung is made at its own size under the rung's name
MASTER_PLAYLIST = "master.m3u8"


class SourceMedia(Protocol):
    """What planning needs of a probed original (`reelstack.domain.media.media.MediaInfo` has it)."""

    @property
    def display_width(self) -> int: ...
    @property
    def display_height(self) -> int: ...
    @property
    def frame_rate(self) -> float: ...
    @property
    def has_audio(self) -> bool: ...
    @property
    def duration_s(self) -> float: ...
    @property
    def size_bytes(self) -> int: ...


@dataclass(frozen=True)
class SourceSummary:
    width: int  # display size
    height: int
    frame_rate: float
    duration_s: float
    has_audio: bool
    size_bytes: int


@dataclass(frozen=True)
class Rendition:
    """One video rendition: everything an ffmpeg, MediaConvert or NVENC encode and the master playlist need."""

    name: str  # "720p": the rendition's folder under the output prefix
    width: int
    height: int
    frame_rate: float  # to 3 decimals, for FRAME-RATE; `frame_rate_fraction` is exact
    frame_rate_fraction: str  # "60000/1001"
    keyframe_interval_frames: int  # GOP: round(segment_seconds x frame rate), closed, no scenecut keyframes
    codec: str  # "h264"
    profile: str  # "high"
    level: str  # "4.0"
    video_bitrate_kbps: int  # target (average)
    max_bitrate_kbps: int  # peak (maxrate, QVBR max)
    buffer_kbps: int  # VBV / HRD buffer
    video_codec_tag: str  # "avc1.640028"
    codecs: str  # the master playlist's CODECS: video tag, plus audio's when there is audio
    bandwidth: int  # BANDWIDTH, bits/s: peak video + audio
    average_bandwidth: int  # AVERAGE-BANDWIDTH, bits/s: target video + audio

    @property
    def playlist(self) -> str:
        return f"{self.name}/playlist.m3u8"


@dataclass(frozen=True)
class AudioPlan:
    """One AAC-LC track shared by every rendition (stereo, 48 kHz as Apple's HLS spec recommends)."""

    codec: str = "aac"
    codec_tag: str = bitrates.AAC_LC_CODEC_TAG
    bitrate_kbps: int = 128
    channels: int = 2
    sample_rate_hz: int = 48000
    name: str = "audio"


@dataclass(frozen=True)
class PosterPlan:
    time_s: float  # min(1 s, 10 % of the duration): past a fade-in, inside a very short clip
    width: int  # the top rendition's size
    height: int
    key: str = "poster.jpg"


@dataclass(frozen=True)
class SpritePlan:
    """A thumbnail every `interval_s` from 0, `count` tiles left to right, top to bottom."""

    interval_s: float
    columns: int
    rows: int
    count: int
    thumb_width: int
    thumb_height: int
    key: str = "sprite.jpg"
    index_key: str = "sprite.vtt"  # WebVTT cues with #xywh= tile coordinates


@dataclass(frozen=True)
class Plan:
    video_id: str
    source: SourceSummary
    renditions: tuple[Rendition, ...]  # highest first
    audio: AudioPlan | None
    poster: PosterPlan | None
    sprite: SpritePlan | None
    output_prefix: str  # "renditions/{video_id}/"; every key above is relative to it
    master_playlist: str
    segment_seconds: float
    backend: Backend
    backend_reason: str
    estimated_encode_s: float  # on the ffmpeg Lambda, to calibrate the model against real runs
    estimated_storage_mb: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {
            "renditions": [asdict(r) for r in self.renditions],
            "backend": self.backend.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Plan:
        """The plan back from the workflow document; malformed input is `invalid_plan`."""
        try:
            fields = dict(data)
            fields["source"] = SourceSummary(**data["source"])
            fields["renditions"] = tuple(Rendition(**r) for r in data["renditions"])
            fields["backend"] = Backend(data["backend"])
            for key, kind in (("audio", AudioPlan), ("poster", PosterPlan), ("sprite", SpritePlan)):
                fields[key] = None if data[key] is None else kind(**data[key])
            return cls(**fields)
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRequest(f"the rendition plan is malformed: {exc}", code="invalid_plan") from None


def _even(value: float) -> int:
    """Nearest even number, at least 2."""
    return max(2, 2 * math.floor(value / 2 + 0.5))


def _even_down(value: int) -> int:
    return max(2, value - value % 2)


def _scaled(width: int, height: int, short: int) -> tuple[int, int]:
    """The display size scaled so its short side is `short` (even), aspect kept, never above the source."""
    source_short, source_long = min(width, height), max(width, height)
    out_short = _even_down(min(short, source_short))
    out_long = min(_even(source_long * out_short / source_short), _even_down(source_long))
    return (out_long, out_short) if width >= height else (out_short, out_long)


def ladder_sizes(width: int, height: int, ladder: tuple[int, ...]) -> list[tuple[str, int, int]]:
    """(name, width, height) per rendition, highest first: never upscaled, no duplicates."""
    short = min(width, height)
    sizes: list[tuple[str, int, int]] = []
    for rung in sorted(ladder, reverse=True):
        if short < rung * (1 - RUNG_TOLERANCE):
            continue
        size = _scaled(width, height, rung)
        if all(size != existing[1:] for existing in sizes):
            sizes.append((f"{rung}p", *size))
    if not sizes:
        size = _scaled(width, height, short)
        sizes.append((f"{min(size)}p", *size))
    return sizes


def _rendition(
    name: str, width: int, height: int, rate: Fraction, spec: RenditionSpec, audio: AudioPlan | None
) -> Rendition:
    video = bitrates.video_bitrate_kbps(width, height, rate)
    peak, buffer = bitrates.max_bitrate_kbps(video), bitrates.buffer_kbps(video)
    level = bitrates.h264_level(width, height, rate, peak, buffer)
    tag = bitrates.avc_codec_tag(level)
    audio_kbps = audio.bitrate_kbps if audio else 0
    return Rendition(
        name=name,
        width=width,
        height=height,
        frame_rate=round(float(rate), 3),
        frame_rate_fraction=bitrates.frame_rate_text(rate),
        keyframe_interval_frames=max(1, round(spec.segment_seconds * rate)),
        codec=spec.codec,
        profile="high",
        level=level.name,
        video_bitrate_kbps=video,
        max_bitrate_kbps=peak,
        buffer_kbps=buffer,
        video_codec_tag=tag,
        codecs=f"{tag},{audio.codec_tag}" if audio else tag,
        bandwidth=(peak + audio_kbps) * 1000,
        average_bandwidth=(video + audio_kbps) * 1000,
    )


def _sprite_plan(sprite: SpriteSpec, width: int, height: int, duration_s: float) -> SpritePlan:
    tiles = sprite.columns * sprite.rows
    interval = sprite.interval_s
    if duration_s > interval * tiles:
        interval = float(math.ceil(duration_s / tiles))
    count = min(tiles, max(1, math.ceil(duration_s / interval)))
    thumb_width = _even_down(min(sprite.thumb_width, width))
    return SpritePlan(
        interval_s=interval,
        columns=min(sprite.columns, count),
        rows=math.ceil(count / sprite.columns),
        count=count,
        thumb_width=thumb_width,
        thumb_height=_even(thumb_width * height / width),
    )


def _check_source(source: SourceMedia) -> None:
    if min(source.display_width, source.display_height) < 2:
        raise InvalidRequest(
            f"a {source.display_width}x{source.display_height} picture cannot be encoded",
            code="invalid_source",
        )
    if not (math.isfinite(source.duration_s) and source.duration_s > 0):
        raise InvalidRequest(f"duration {source.duration_s!r} s cannot be planned", code="invalid_source")


def plan_renditions(video_id: str, source: SourceMedia, spec: RenditionSpec, budget: LambdaBudget) -> Plan:
    """The plan for this source: renditions, audio, poster, sprite, outputs and backend."""
    _check_source(source)
    width, height = source.display_width, source.display_height
    source_rate = bitrates.exact_frame_rate(source.frame_rate)
    rate = bitrates.capped_frame_rate(source_rate, bitrates.exact_frame_rate(spec.max_frame_rate))
    audio = AudioPlan(bitrate_kbps=spec.audio_bitrate_kbps) if source.has_audio else None
    renditions = tuple(
        _rendition(name, w, h, rate, spec, audio) for name, w, h in ladder_sizes(width, height, spec.ladder)
    )
    top = renditions[0]
    choice = choose_backend(
        spec.backend,
        renditions,
        source_pixels=width * height,
        source_frame_rate=float(source_rate),
        duration_s=source.duration_s,
        source_bytes=source.size_bytes,
        audio_kbps=audio.bitrate_kbps if audio else 0,
        budget=budget,
    )
    return Plan(
        video_id=video_id,
        source=SourceSummary(
            width=width,
            height=height,
            frame_rate=source.frame_rate,
            duration_s=source.duration_s,
            has_audio=source.has_audio,
            size_bytes=source.size_bytes,
        ),
        renditions=renditions,
        audio=audio,
        poster=(
            PosterPlan(time_s=round(min(1.0, source.duration_s * 0.1), 3), width=top.width, height=top.height)
            if spec.poster
            else None
        ),
        sprite=_sprite_plan(spec.sprite, width, height, source.duration_s) if spec.sprite else None,
        output_prefix=f"renditions/{video_id}/",
        master_playlist=MASTER_PLAYLIST,
        segment_seconds=spec.segment_seconds,
        backend=choice.backend,
        backend_reason=choice.reason,
        estimated_encode_s=choice.estimated_encode_s,
        estimated_storage_mb=choice.estimated_storage_mb,
    )
