"""What a probed original is, and whether it is a playable video reelstack accepts.

`media_info_from_ffprobe` reads ffprobe's JSON (`-show_format -show_streams`) into a `MediaInfo`;
`validate` applies the `ProbePolicy` (duration between 1 s and 10 min, at most 4K UHD in either
orientation). Both refuse with an `UnplayableMedia` error whose `code` says why.

Rotation is recorded as the clockwise turn a player applies to show the picture upright (the legacy
`rotate` tag's convention: a phone's portrait video is 1280x720 coded with rotation 90). ffprobe
reports a display matrix's `rotation` counter-clockwise, so it is negated here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from fractions import Fraction
from typing import Any

from reelstack.errors import InvalidRequest

# r_frame_rate and avg_frame_rate further apart than this (relative) mean a variable frame rate.
VFR_TOLERANCE = 0.01


class UnplayableMedia(InvalidRequest):
    """The original is not a video reelstack can play: the `code` names the reason."""

    code = "unplayable_media"


@dataclass(frozen=True)
class MediaInfo:
    """The facts about an original that planning and the video record need."""

    duration_s: float
    width: int  # coded size, before rotation
    height: int
    rotation: int  # clockwise degrees to display upright: 0, 90, 180 or 270
    display_width: int  # after rotation
    display_height: int
    display_aspect: str  # e.g. "16:9", after rotation
    frame_rate: float  # average frames per second (0.0 when unknown)
    variable_frame_rate: bool
    video_codec: str
    audio_codec: str | None
    has_audio: bool
    size_bytes: int
    bitrate: int | None  # bits per second, as the container declares it
    container: str  # ffprobe's format_name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
    nominal_frame_rate: float = 0.0  # the stream's base rate (r_frame_rate); 0.0 when unknown

    @property
    def portrait(self) -> bool:
        return self.display_height > self.display_width

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ProbePolicy:
    """Which videos are accepted. 4K means at most 3840x2160 in either orientation."""

    min_duration_s: float = 1.0
    max_duration_s: float = 600.0
    max_long_side: int = 3840
    max_short_side: int = 2160


def validate(info: MediaInfo, policy: ProbePolicy | None = None) -> None:
    """Refuse a video outside the policy: `too_short`, `too_long` or `resolution_too_large`."""
    policy = policy or ProbePolicy()
    if info.duration_s < policy.min_duration_s:
        raise UnplayableMedia(
            f"the video lasts {info.duration_s:.3f} s; at least {policy.min_duration_s:g} s is required",
            code="too_short",
            duration_s=info.duration_s,
            min_duration_s=policy.min_duration_s,
        )
    if info.duration_s > policy.max_duration_s:
        raise UnplayableMedia(
            f"the video lasts {info.duration_s:.1f} s; at most {policy.max_duration_s:g} s is accepted",
            code="too_long",
            duration_s=info.duration_s,
            max_duration_s=policy.max_duration_s,
        )
    long_side, short_side = max(info.width, info.height), min(info.width, info.height)
    if long_side > policy.max_long_side or short_side > policy.max_short_side:
        raise UnplayableMedia(
            f"{info.width}x{info.height} is larger than "
            f"{policy.max_long_side}x{policy.max_short_side} in either orientation",
            code="resolution_too_large",
            width=info.width,
            height=info.height,
        )


def _number(value: Any) -> float | None:
    """A finite float from ffprobe's strings ("3.003000", "N/A", missing) or None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def parse_rate(value: Any) -> float | None:
    """A rate like "60000/1001" or "30" as a positive float; None for "0/0", "N/A" or missing."""
    if not isinstance(value, str | int | float):
        return None
    try:
        rate = float(Fraction(str(value)))
    except (ValueError, ZeroDivisionError):
        return None
    return rate if rate > 0 and math.isfinite(rate) else None


def _snap_rotation(degrees: float) -> int:
    """To the nearest quarter turn, in 0..270."""
    return (round(degrees / 90.0) * 90) % 360


def rotation_of(stream: Mapping[str, Any]) -> int:
    """Clockwise display rotation of a video stream, from its display matrix or a legacy `rotate` tag."""
    for side_data in stream.get("side_data_list") or ():
        if isinstance(side_data, Mapping):
            counter_clockwise = _number(side_data.get("rotation"))
            if counter_clockwise is not None:
                return _snap_rotation(-counter_clockwise)
    clockwise = _number((stream.get("tags") or {}).get("rotate"))
    return _snap_rotation(clockwise) if clockwise is not None else 0


def _aspect(value: Any) -> tuple[int, int] | None:
    """ffprobe's "16:9"; None for "0:1", "N/A" or missing."""
    if not isinstance(value, str) or ":" not in value:
        return None
    num, _, den = value.partition(":")
    if not (num.isdigit() and den.isdigit()) or int(num) == 0 or int(den) == 0:
        return None
    return int(num), int(den)


def _display_aspect(stream: Mapping[str, Any], width: int, height: int, quarter_turn: bool) -> str:
    declared = _aspect(stream.get("display_aspect_ratio"))
    num, den = declared or (width, height)
    if quarter_turn:
        num, den = den, num
    divisor = math.gcd(num, den)
    return f"{num // divisor}:{den // divisor}"


def _is_still_image_format(format_name: str) -> bool:
    return format_name == "image2" or format_name.endswith("_pipe")


def video_stream(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The first real video stream: cover art (`disposition.attached_pic`) is not a video."""
    streams: Sequence[Any] = data.get("streams") or ()
    for stream in streams:
        if not isinstance(stream, Mapping) or stream.get("codec_type") != "video":
            continue
        if (stream.get("disposition") or {}).get("attached_pic") == 1:
            continue
        return stream
    return None


def _first_audio_stream(data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    for stream in data.get("streams") or ():
        if isinstance(stream, Mapping) and stream.get("codec_type") == "audio":
            return stream
    return None


def _positive_int(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number > 0 else None


def media_info_from_ffprobe(data: Mapping[str, Any], size_bytes: int) -> MediaInfo:
    """Read ffprobe's JSON; refuse with `no_video_stream` or `corrupt_media`.

    The duration is the video stream's own when the container gives one (a single frame over a long
    audio track is not a long video), else the container's.
    """
    fmt: Mapping[str, Any] = data.get("format") or {}
    container = str(fmt.get("format_name") or "")
    stream = video_stream(data)
    if stream is None or _is_still_image_format(container):
        kinds = sorted(
            {str(s.get("codec_type")) for s in data.get("streams") or () if isinstance(s, Mapping)}
        )
        raise UnplayableMedia(
            "the file has no video stream" + (f" (only: {', '.join(kinds)})" if kinds else ""),
            code="no_video_stream",
        )
    width, height = _positive_int(stream.get("width")), _positive_int(stream.get("height"))
    if width is None or height is None:
        raise UnplayableMedia("the video stream has no usable picture size", code="corrupt_media")
    stream_duration, format_duration = _number(stream.get("duration")), _number(fmt.get("duration"))
    duration = stream_duration if stream_duration is not None and stream_duration > 0 else format_duration
    if duration is None or duration < 0:
        raise UnplayableMedia("the file declares no usable duration", code="corrupt_media")
    if size_bytes <= 0:
        raise UnplayableMedia("the file has no usable size", code="corrupt_media")

    rotation = rotation_of(stream)
    quarter_turn = rotation in (90, 270)
    real_rate, average_rate = parse_rate(stream.get("r_frame_rate")), parse_rate(stream.get("avg_frame_rate"))
    variable = (
        real_rate is not None
        and average_rate is not None
        and abs(real_rate - average_rate) / real_rate > VFR_TOLERANCE
    )
    audio = _first_audio_stream(data)
    return MediaInfo(
        duration_s=duration,
        width=width,
        height=height,
        rotation=rotation,
        display_width=height if quarter_turn else width,
        display_height=width if quarter_turn else height,
        display_aspect=_display_aspect(stream, width, height, quarter_turn),
        frame_rate=round(average_rate or real_rate or 0.0, 3),
        variable_frame_rate=variable,
        video_codec=str(stream.get("codec_name") or "unknown"),
        audio_codec=str(audio.get("codec_name") or "unknown") if audio is not None else None,
        has_audio=audio is not None,
        size_bytes=size_bytes,
        bitrate=_positive_int(fmt.get("bit_rate")),
        container=container,
        nominal_frame_rate=round(real_rate or 0.0, 3),
    )


# Frame rates players and encoders expect (film, PAL, NTSC and their doubles).
STANDARD_FRAME_RATES = (24000 / 1001, 24.0, 25.0, 30000 / 1001, 30.0, 48.0, 50.0, 60000 / 1001, 60.0,
                        100.0, 120000 / 1001, 120.0)  # fmt: skip


def steady_frame_rate(info: MediaInfo) -> float:
    """The constant rate to encode a source at.

    A constant-rate source keeps its rate. A variable-rate one (phones drop frames when busy) is
    encoded at its nominal rate when that is a standard one (a 59.94 fps recording with drops stays
    59.94, duplicating frames where it dropped some), else at the first standard rate at or above
    its average (odd time bases such as 90000/1 say nothing about motion).
    """
    if not info.variable_frame_rate:
        return info.frame_rate
    for rate in STANDARD_FRAME_RATES:
        if abs(rate - info.nominal_frame_rate) < 0.01:
            return round(rate, 3)
    return round(next((r for r in STANDARD_FRAME_RATES if r >= info.frame_rate - 0.01), 120.0), 3)
