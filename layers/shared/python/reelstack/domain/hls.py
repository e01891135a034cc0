"""HLS and WebVTT text for a `Plan`: the master playlist, the sprite's WebVTT index, and a reader of
media playlists (segment URIs and durations; the transcoder measures bitrates with it, tests check it).

The master playlist follows RFC 8216 and Apple's HLS authoring spec: version 7 (fMP4 segments),
independent segments (every segment starts with an IDR frame), one variant per rendition, highest
first, each with BANDWIDTH (peak bits/s), AVERAGE-BANDWIDTH, RESOLUTION, CODECS and FRAME-RATE.
BANDWIDTH is the planned peak, raised to the measured peak segment bitrate when that is higher
(a player that trusts BANDWIDTH must not stall); AVERAGE-BANDWIDTH is measured when known.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from reelstack.domain.renditions import Plan, SpritePlan
from reelstack.errors import InvalidRequest

HLS_VERSION = 7


@dataclass(frozen=True)
class MeasuredBandwidth:
    """What one rendition's segments really carry, bits per second (container overhead included)."""

    peak: int  # the highest segment's bytes x 8 / its duration
    average: int  # all segment bytes x 8 / the total duration


def master_playlist(plan: Plan, measured: Mapping[str, MeasuredBandwidth] | None = None) -> str:
    """The master playlist text: one variant per rendition, URIs relative to the master."""
    lines = ["#EXTM3U", f"#EXT-X-VERSION:{HLS_VERSION}", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for rendition in plan.renditions:
        facts = (measured or {}).get(rendition.name)
        bandwidth = max(rendition.bandwidth, facts.peak) if facts else rendition.bandwidth
        average = facts.average if facts else rendition.average_bandwidth
        attributes = ",".join(
            (
                f"BANDWIDTH={bandwidth}",
                f"AVERAGE-BANDWIDTH={average}",
                f"RESOLUTION={rendition.width}x{rendition.height}",
                f'CODECS="{rendition.codecs}"',
                f"FRAME-RATE={rendition.frame_rate:.3f}",
            )
        )
        lines += [f"#EXT-X-STREAM-INF:{attributes}", rendition.playlist]
    return "\n".join(lines) + "\n"


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def sprite_index(sprite: SpritePlan, duration_s: float) -> str:
    """WebVTT: thumb k covers [k x interval, next thumb or the end) and points at its sprite tile."""
    lines = ["WEBVTT", ""]
    for index in range(sprite.count):
        start = index * sprite.interval_s
        end = duration_s if index == sprite.count - 1 else (index + 1) * sprite.interval_s
        end = max(end, start + 0.001)
        x = (index % sprite.columns) * sprite.thumb_width
        y = (index // sprite.columns) * sprite.thumb_height
        lines += [
            f"{_timestamp(start)} --> {_timestamp(end)}",
            f"{sprite.key}#xywh={x},{y},{sprite.thumb_width},{sprite.thumb_height}",
            "",
        ]
    return "\n".join(lines)


@dataclass(frozen=True)
class Segment:
    uri: str
    duration_s: float


@dataclass(frozen=True)
class MediaPlaylist:
    version: int | None
    target_duration_s: int | None
    playlist_type: str | None
    init_uri: str | None  # EXT-X-MAP
    segments: tuple[Segment, ...]
    ended: bool  # EXT-X-ENDLIST

    @property
    def duration_s(self) -> float:
        return math.fsum(segment.duration_s for segment in self.segments)


def _quoted_attribute(attributes: str, name: str) -> str | None:
    marker = f'{name}="'
    start = attributes.find(marker)
    if start < 0:
        return None
    start += len(marker)
    end = attributes.find('"', start)
    return attributes[start:end] if end >= 0 else None


def parse_media_playlist(text: str) -> MediaPlaylist:
    """Read a media playlist; anything that is not one is `invalid_playlist`."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise InvalidRequest("not an HLS playlist: it does not start with #EXTM3U", code="invalid_playlist")
    version = target = None
    playlist_type = init_uri = None
    ended = False
    segments: list[Segment] = []
    pending: float | None = None
    try:
        for line in lines[1:]:
            tag, _, value = line.partition(":")
            if tag == "#EXT-X-VERSION":
                version = int(value)
            elif tag == "#EXT-X-TARGETDURATION":
                target = int(value)
            elif tag == "#EXT-X-PLAYLIST-TYPE":
                playlist_type = value
            elif tag == "#EXT-X-MAP":
                init_uri = _quoted_attribute(value, "URI")
            elif tag == "#EXTINF":
                pending = float(value.split(",", 1)[0])
            elif tag == "#EXT-X-ENDLIST":
                ended = True
            elif tag == "#EXT-X-STREAM-INF":
                raise InvalidRequest("a master playlist, not a media playlist", code="invalid_playlist")
            elif not line.startswith("#"):
                if pending is None:
                    raise InvalidRequest(f"segment {line!r} has no #EXTINF", code="invalid_playlist")
                segments.append(Segment(line, pending))
                pending = None
    except ValueError as exc:
        raise InvalidRequest(f"malformed playlist line: {exc}", code="invalid_playlist") from None
    return MediaPlaylist(version, target, playlist_type, init_uri, tuple(segments), ended)
