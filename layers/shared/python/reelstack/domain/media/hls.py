"""HLS and WebVTT text for a `Plan`: the master playlist, the sprite's WebVTT index, and a reader of
media playlists (segment URIs, byte ranges and durations; the transcoder measures bitrates with it,
tests check it).

The master playlist follows RFC 8216 and Apple's HLS authoring spec: version 7 (fMP4 segments),
independent segments (every segment starts with an IDR frame), one variant per rendition, highest
first, each with BANDWIDTH (peak bits/s), AVERAGE-BANDWIDTH, RESOLUTION, CODECS and FRAME-RATE.
BANDWIDTH is the planned peak, raised to the measured peak segment bitrate when that is higher
(a player that trusts BANDWIDTH must not stall); AVERAGE-BANDWIDTH is measured when known.

Media playlists may address sub-ranges of one resource (RFC 8216 4.3.2.2 and 4.3.2.5; version 4 and
up): our renditions are one fMP4 file each, its init section named by
`#EXT-X-MAP:URI="media-<hash>.mp4",BYTERANGE="<length>@0"` and each segment by
`#EXT-X-BYTERANGE:<length>@<offset>` followed by the file's URI.
An `#EXT-X-BYTERANGE` without an offset starts at the byte after the previous segment's range, which
must then be a range of the same URI; a BYTERANGE attribute of EXT-X-MAP without an offset starts
at byte 0 (RFC 8216 gives it no predecessor; hls.js and ffmpeg read it so). Whole-file segments
(no range) still read as before.

`rename_resources` rewrites the URIs a media playlist reads (EXT-X-MAP's URI and the segment URI
lines) and leaves every other character as it was: the transcoder gives each media file a name
derived from its content before upload (`ffmpeg_ladder.content_addressed_name`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from reelstack.domain.media.renditions import Plan, SpritePlan
from reelstack.errors import InvalidRequest

HLS_VERSION = 7
BYTE_RANGE_VERSION = 4  # RFC 8216 section 7: EXT-X-BYTERANGE needs version 4 or later


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
class ByteRange:
    """A sub-range of a resource: `length` bytes from byte `offset` (an HTTP Range of `bytes=a-b`)."""

    length: int
    offset: int

    @property
    def end(self) -> int:
        """The byte after the range (where an offset-less next range starts)."""
        return self.offset + self.length

    @property
    def http_range(self) -> str:
        return f"bytes={self.offset}-{self.end - 1}"


@dataclass(frozen=True)
class Segment:
    uri: str
    duration_s: float
    byte_range: ByteRange | None = None  # None: the whole resource


@dataclass(frozen=True)
class MediaPlaylist:
    version: int | None
    target_duration_s: int | None
    playlist_type: str | None
    init_uri: str | None  # EXT-X-MAP
    segments: tuple[Segment, ...]
    ended: bool  # EXT-X-ENDLIST
    init_range: ByteRange | None = None  # EXT-X-MAP's BYTERANGE; None: the whole resource

    @property
    def duration_s(self) -> float:
        return math.fsum(segment.duration_s for segment in self.segments)

    @property
    def resources(self) -> tuple[str, ...]:
        """Every URI the playlist reads (the init's first), each once: one per file it needs."""
        uris = ([] if self.init_uri is None else [self.init_uri]) + [s.uri for s in self.segments]
        return tuple(dict.fromkeys(uris))


_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"\r\n]*"|[^",\s]*)(?:,|$)')
_BYTE_RANGE = re.compile(r"(\d+)(?:@(\d+))?")


def _attributes(text: str) -> dict[str, str]:
    """An attribute list (`NAME=value,NAME="quoted"`); values keep their quotes."""
    found: dict[str, str] = {}
    position = 0
    while position < len(text):
        match = _ATTRIBUTE.match(text, position)
        if match is None:
            raise InvalidRequest(f"malformed attribute list {text!r}", code="invalid_playlist")
        found[match.group(1)] = match.group(2)
        position = match.end()
    return found


def _quoted(attributes: dict[str, str], name: str) -> str | None:
    value = attributes.get(name)
    if value is None:
        return None
    if len(value) < 2 or not (value.startswith('"') and value.endswith('"')):
        raise InvalidRequest(f"{name} must be a quoted string, not {value}", code="invalid_playlist")
    return value[1:-1]


def _byte_range(text: str, follows: ByteRange | None) -> ByteRange:
    """`<length>[@<offset>]`; without an offset the range starts at `follows.end` (none: refused)."""
    match = _BYTE_RANGE.fullmatch(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise InvalidRequest(f"malformed byte range {text!r}", code="invalid_playlist")
    if match.group(2) is not None:
        return ByteRange(int(match.group(1)), int(match.group(2)))
    if follows is None:
        raise InvalidRequest(
            f"byte range {text!r} has no offset and follows no range of the same resource",
            code="invalid_playlist",
        )
    return ByteRange(int(match.group(1)), follows.end)


def _map(value: str) -> tuple[str | None, ByteRange | None]:
    """EXT-X-MAP's URI and BYTERANGE (an offset-less BYTERANGE starts at byte 0)."""
    attributes = _attributes(value)
    text = _quoted(attributes, "BYTERANGE")
    return _quoted(attributes, "URI"), None if text is None else _byte_range(text, ByteRange(0, 0))


def parse_media_playlist(text: str) -> MediaPlaylist:
    """Read a media playlist; anything that is not one is `invalid_playlist`."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "#EXTM3U":
        raise InvalidRequest("not an HLS playlist: it does not start with #EXTM3U", code="invalid_playlist")
    version = target = None
    playlist_type = init_uri = None
    init_range: ByteRange | None = None
    ended = False
    segments: list[Segment] = []
    pending: float | None = None
    pending_range: str | None = None  # EXT-X-BYTERANGE's value, for the next URI line
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
                init_uri, init_range = _map(value)
            elif tag == "#EXT-X-BYTERANGE":
                pending_range = value
            elif tag == "#EXTINF":
                pending = float(value.split(",", 1)[0])
            elif tag == "#EXT-X-ENDLIST":
                ended = True
            elif tag == "#EXT-X-STREAM-INF":
                raise InvalidRequest("a master playlist, not a media playlist", code="invalid_playlist")
            elif not line.startswith("#"):
                if pending is None:
                    raise InvalidRequest(f"segment {line!r} has no #EXTINF", code="invalid_playlist")
                segments.append(Segment(line, pending, _segment_range(pending_range, line, segments)))
                pending = pending_range = None
    except ValueError as exc:
        raise InvalidRequest(f"malformed playlist line: {exc}", code="invalid_playlist") from None
    if pending_range is not None:
        raise InvalidRequest("#EXT-X-BYTERANGE is not followed by a segment", code="invalid_playlist")
    ranged = init_range is not None or any(segment.byte_range for segment in segments)
    if ranged and version is not None and version < BYTE_RANGE_VERSION:
        raise InvalidRequest(
            f"byte ranges need #EXT-X-VERSION {BYTE_RANGE_VERSION} or later, not {version}",
            code="invalid_playlist",
        )
    return MediaPlaylist(version, target, playlist_type, init_uri, tuple(segments), ended, init_range)


def rename_resources(text: str, renames: Mapping[str, str]) -> str:
    """`text` with each resource URI (EXT-X-MAP's URI, segment URI lines) in `renames` replaced by its
    new name; everything else (tags, byte ranges, whitespace, line endings) is kept character for
    character. A name to rename that the playlist does not read, or a new name that cannot stand in a
    playlist (empty, a tag, quotes, line breaks), is `invalid_playlist`."""
    before = parse_media_playlist(text)
    unknown = sorted(set(renames) - set(before.resources))
    if unknown:
        raise InvalidRequest(f"the playlist reads no {', '.join(unknown)}", code="invalid_playlist")
    for new in renames.values():
        if not new or new != new.strip() or new.startswith("#") or any(c in new for c in '"\r\n'):
            raise InvalidRequest(f"{new!r} cannot be a playlist URI", code="invalid_playlist")
    lines = text.splitlines(keepends=True)
    rewritten = "".join(_renamed_line(line, renames) for line in lines)
    after = parse_media_playlist(rewritten)
    if after != _with_uris(before, renames):  # every URI changed, nothing else
        raise InvalidRequest("the playlist's URIs could not be rewritten in place", code="invalid_playlist")
    return rewritten


def _renamed_line(line: str, renames: Mapping[str, str]) -> str:
    core = line.strip()
    start = line.index(core) if core else 0
    head, tail = line[:start], line[start + len(core) :]
    if core.startswith("#EXT-X-MAP:"):
        return head + _renamed_map(core, renames) + tail
    if core and not core.startswith("#") and core in renames:
        return head + renames[core] + tail
    return line


def _renamed_map(core: str, renames: Mapping[str, str]) -> str:
    """An EXT-X-MAP line with its URI attribute's value renamed (its other attributes untouched)."""
    tag, _, value = core.partition(":")
    position = 0
    while position < len(value):
        match = _ATTRIBUTE.match(value, position)
        if match is None:
            raise InvalidRequest(f"malformed attribute list {value!r}", code="invalid_playlist")
        if match.group(1) == "URI":
            uri = match.group(2)[1:-1]
            if uri not in renames:
                return core
            return f'{tag}:{value[: match.start(2)]}"{renames[uri]}"{value[match.end(2) :]}'
        position = match.end()
    return core


def _with_uris(playlist: MediaPlaylist, renames: Mapping[str, str]) -> MediaPlaylist:
    init = None if playlist.init_uri is None else renames.get(playlist.init_uri, playlist.init_uri)
    segments = tuple(replace(s, uri=renames.get(s.uri, s.uri)) for s in playlist.segments)
    return replace(playlist, init_uri=init, segments=segments)


def _segment_range(text: str | None, uri: str, before: list[Segment]) -> ByteRange | None:
    if text is None:
        return None
    previous = before[-1] if before else None
    follows = previous.byte_range if previous is not None and previous.uri == uri else None
    return _byte_range(text, follows)
