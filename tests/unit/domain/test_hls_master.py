"""The master playlist and the sprite's WebVTT index of a plan, and the media playlist reader."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from reelstack.domain.media.hls import (
    ByteRange,
    MeasuredBandwidth,
    master_playlist,
    parse_media_playlist,
    sprite_index,
)
from reelstack.domain.media.renditions import Plan, RenditionSpec, SpriteSpec
from reelstack.errors import InvalidRequest
from tests.support.plans import ladder_plan


def plan(spec: RenditionSpec | None = None, **source: object) -> Plan:
    return ladder_plan(spec, **{"frame_rate": 29.97, **source})


def attributes(text: str) -> dict[str, str]:
    """An RFC 8216 attribute list: NAME=value pairs, quoted strings may hold commas."""
    pairs = re.findall(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)', text)
    return dict(pairs)


def variants(master: str) -> list[tuple[dict[str, str], str]]:
    lines = master.splitlines()
    return [
        (attributes(line.split(":", 1)[1]), lines[index + 1])
        for index, line in enumerate(lines)
        if line.startswith("#EXT-X-STREAM-INF:")
    ]


def test_the_master_playlist_lists_every_rendition_highest_first() -> None:
    # GIVEN a 1080p plan with audio
    p = plan()
    # WHEN its master playlist is written
    text = master_playlist(p)
    # THEN it is an HLS v7 playlist whose segments are independent
    lines = text.splitlines()
    assert lines[:3] == ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    assert text.endswith("\n")
    # AND one variant per rendition, in the plan's order, pointing at its playlist relative to the master
    found = variants(text)
    assert [uri for _, uri in found] == [r.playlist for r in p.renditions]
    for (attrs, _), rendition in zip(found, p.renditions, strict=True):
        assert int(attrs["BANDWIDTH"]) == rendition.bandwidth
        assert int(attrs["AVERAGE-BANDWIDTH"]) == rendition.average_bandwidth
        assert attrs["RESOLUTION"] == f"{rendition.width}x{rendition.height}"
        assert attrs["CODECS"] == f'"{rendition.codecs}"'  # quoted: it holds a comma
        assert "," in rendition.codecs
        assert float(attrs["FRAME-RATE"]) == pytest.approx(29.97, abs=0.001)
    bandwidths = [int(a["BANDWIDTH"]) for a, _ in found]
    assert bandwidths == sorted(bandwidths, reverse=True)


def test_a_silent_plan_names_only_the_video_codec() -> None:
    for attrs, _ in variants(master_playlist(plan(has_audio=False))):
        assert attrs["CODECS"].strip('"').startswith("avc1.")
        assert "mp4a" not in attrs["CODECS"]


def test_measured_bandwidth_raises_the_peak_but_never_lowers_it() -> None:
    # GIVEN measurements: the top rendition peaked above its plan, the next one below
    p = plan()
    top, middle, low = p.renditions
    measured = {
        top.name: MeasuredBandwidth(peak=top.bandwidth + 12345, average=top.average_bandwidth - 1000),
        middle.name: MeasuredBandwidth(peak=middle.bandwidth // 2, average=middle.average_bandwidth // 3),
    }
    # WHEN the master is written with them
    found = [attrs for attrs, _ in variants(master_playlist(p, measured))]
    # THEN BANDWIDTH is the higher of planned and measured peak; AVERAGE-BANDWIDTH is measured
    assert int(found[0]["BANDWIDTH"]) == top.bandwidth + 12345
    assert int(found[1]["BANDWIDTH"]) == middle.bandwidth
    assert int(found[0]["AVERAGE-BANDWIDTH"]) == top.average_bandwidth - 1000
    assert int(found[1]["AVERAGE-BANDWIDTH"]) == middle.average_bandwidth // 3
    # AND a rendition without measurements keeps its plan
    assert (int(found[2]["BANDWIDTH"]), int(found[2]["AVERAGE-BANDWIDTH"])) == (
        low.bandwidth,
        low.average_bandwidth,
    )


def seconds(stamp: str) -> float:
    hours, minutes, rest = stamp.split(":")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


def cues(text: str) -> list[tuple[float, float, str]]:
    blocks = [block.splitlines() for block in text.strip().split("\n\n")[1:]]
    return [
        (seconds(timing.split(" --> ")[0]), seconds(timing.split(" --> ")[1]), payload)
        for timing, payload in blocks
    ]


@pytest.mark.parametrize("duration", [5.0, 7.3, 45.0, 600.0])
def test_the_sprite_index_has_one_cue_per_thumb_covering_the_video(duration: float) -> None:
    # GIVEN a plan with a 4x3 sprite sheet of thumbs every 2 s (stretched for long videos)
    p = plan(RenditionSpec(sprite=SpriteSpec(columns=4, rows=3)), duration_s=duration)
    sprite = p.sprite
    assert sprite is not None
    # WHEN its WebVTT index is written
    text = sprite_index(sprite, duration)
    assert text.startswith("WEBVTT\n\n")
    found = cues(text)
    # THEN one cue per thumb, back to back from 0 to the end of the video
    assert len(found) == sprite.count
    assert found[0][0] == 0.0 and found[-1][1] == pytest.approx(duration, abs=0.001)
    assert all(end == pytest.approx(following[0]) for (_, end, _), following in pairwise(found))
    # AND each points at its own tile, left to right and top to bottom, inside the sheet
    tiles = []
    for _, _, payload in found:
        uri, _, fragment = payload.partition("#xywh=")
        x, y, w, h = map(int, fragment.split(","))
        assert uri == sprite.key and (w, h) == (sprite.thumb_width, sprite.thumb_height)
        assert x + w <= sprite.columns * w and y + h <= sprite.rows * h
        tiles.append((y // h, x // w))
    assert tiles == sorted(set(tiles))


MEDIA_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="init.mp4"
#EXTINF:2.002000,
seg_00000.m4s
#EXTINF:2.002000,
seg_00001.m4s
#EXTINF:0.967633,
seg_00002.m4s
#EXT-X-ENDLIST
"""


def test_a_segmented_media_playlist_reads_back_its_segments() -> None:
    # GIVEN a playlist of whole-file segments (renditions made before single-file HLS)
    # WHEN it is read
    playlist = parse_media_playlist(MEDIA_PLAYLIST)
    # THEN its segments, durations and init are there, none of them a byte range
    assert (playlist.version, playlist.target_duration_s, playlist.playlist_type) == (7, 2, "VOD")
    assert playlist.init_uri == "init.mp4" and playlist.ended
    assert [s.uri for s in playlist.segments] == ["seg_00000.m4s", "seg_00001.m4s", "seg_00002.m4s"]
    assert [s.duration_s for s in playlist.segments] == [2.002, 2.002, 0.967633]
    assert playlist.duration_s == pytest.approx(4.971633)
    assert playlist.init_range is None and all(s.byte_range is None for s in playlist.segments)
    # AND it reads four files, the init's first
    assert playlist.resources == ("init.mp4", "seg_00000.m4s", "seg_00001.m4s", "seg_00002.m4s")


def test_an_unfinished_playlist_is_read_as_not_ended() -> None:
    assert not parse_media_playlist(MEDIA_PLAYLIST.replace("#EXT-X-ENDLIST\n", "")).ended


@pytest.mark.parametrize(
    "text",
    [
        "",
        "WEBVTT\n",
        MEDIA_PLAYLIST.replace("#EXTINF:2.002000,\nseg_00001.m4s\n", "seg_00001.m4s\n"),
        MEDIA_PLAYLIST.replace("#EXTINF:2.002000,", "#EXTINF:two,", 1),
        master_playlist(plan()),
    ],
    ids=["empty", "not-hls", "segment-without-extinf", "bad-duration", "master"],
)
def test_anything_but_a_media_playlist_is_refused(text: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_media_playlist(text)
    assert caught.value.code == "invalid_playlist"


# --- single-file renditions: byte ranges (RFC 8216 4.3.2.2, 4.3.2.5) --------------------------------

SINGLE_FILE_PLAYLIST = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="media.mp4",BYTERANGE="1353@0"
#EXTINF:2.000000,
#EXT-X-BYTERANGE:197306@1353
media.mp4
#EXTINF:2.000000,
#EXT-X-BYTERANGE:213660@198659
media.mp4
#EXTINF:1.000000,
#EXT-X-BYTERANGE:102150@412319
media.mp4
#EXT-X-ENDLIST
"""


def test_a_single_file_playlist_reads_back_each_segment_s_byte_range() -> None:
    # GIVEN ffmpeg's single-file playlist (init section and segments in media.mp4, offsets explicit)
    # WHEN it is read
    playlist = parse_media_playlist(SINGLE_FILE_PLAYLIST)
    # THEN the init section is the map's range and each segment its own, back to back
    assert (playlist.init_uri, playlist.init_range) == ("media.mp4", ByteRange(1353, 0))
    assert [s.byte_range for s in playlist.segments] == [
        ByteRange(197306, 1353),
        ByteRange(213660, 198659),
        ByteRange(102150, 412319),
    ]
    assert [s.duration_s for s in playlist.segments] == [2.0, 2.0, 1.0]
    # AND the whole rendition is one file
    assert playlist.resources == ("media.mp4",)
    assert playlist.segments[0].byte_range == ByteRange(197306, 1353)
    assert ByteRange(197306, 1353).http_range == "bytes=1353-198658"


def test_a_range_without_an_offset_starts_after_the_previous_segment_s_range() -> None:
    # GIVEN ranges whose offsets are left out after the first (RFC 8216 4.3.2.2)
    text = SINGLE_FILE_PLAYLIST.replace("#EXT-X-BYTERANGE:213660@198659", "#EXT-X-BYTERANGE:213660").replace(
        "#EXT-X-BYTERANGE:102150@412319", "#EXT-X-BYTERANGE:102150"
    )
    # WHEN it is read
    playlist = parse_media_playlist(text)
    # THEN each starts at the byte after the previous segment's range
    assert [s.byte_range for s in playlist.segments] == [
        ByteRange(197306, 1353),
        ByteRange(213660, 198659),
        ByteRange(102150, 412319),
    ]


def test_a_map_byterange_without_an_offset_starts_at_byte_zero() -> None:
    # GIVEN an EXT-X-MAP whose BYTERANGE has no offset, before any segment
    text = SINGLE_FILE_PLAYLIST.replace('BYTERANGE="1353@0"', 'BYTERANGE="1353"')
    # WHEN it is read THEN the init section is the file's first 1353 bytes
    assert parse_media_playlist(text).init_range == ByteRange(1353, 0)


def test_the_tag_order_of_extinf_and_byterange_does_not_matter() -> None:
    # GIVEN EXT-X-BYTERANGE before EXTINF for a segment
    text = SINGLE_FILE_PLAYLIST.replace(
        "#EXTINF:2.000000,\n#EXT-X-BYTERANGE:197306@1353\n",
        "#EXT-X-BYTERANGE:197306@1353\n#EXTINF:2.000000,\n",
    )
    # WHEN it is read THEN the segment has both
    first = parse_media_playlist(text).segments[0]
    assert (first.duration_s, first.byte_range) == (2.0, ByteRange(197306, 1353))


def test_a_map_without_byterange_is_the_whole_resource() -> None:
    # GIVEN a map naming only its URI (other attributes around it)
    text = MEDIA_PLAYLIST.replace('URI="init.mp4"', 'URI="init.mp4",X-OTHER=1')
    # WHEN it is read THEN the init is the whole file
    playlist = parse_media_playlist(text)
    assert (playlist.init_uri, playlist.init_range) == ("init.mp4", None)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("#EXT-X-BYTERANGE:197306@1353", "#EXT-X-BYTERANGE:197306"),  # first segment: nothing to follow
        ("#EXT-X-BYTERANGE:197306@1353", "#EXT-X-BYTERANGE:lots@1353"),
        ("#EXT-X-BYTERANGE:197306@1353", "#EXT-X-BYTERANGE:-5@1353"),
        ("#EXT-X-BYTERANGE:197306@1353", "#EXT-X-BYTERANGE:0@1353"),
        ("#EXT-X-BYTERANGE:197306@1353", "#EXT-X-BYTERANGE:197306@"),
        ("#EXT-X-BYTERANGE:197306@1353", "#EXT-X-BYTERANGE:197306@1353@9"),
        ("#EXT-X-BYTERANGE:197306@1353", "#EXT-X-BYTERANGE:"),
        ('BYTERANGE="1353@0"', 'BYTERANGE="1353-0"'),
        ('BYTERANGE="1353@0"', "BYTERANGE=1353@0"),  # not a quoted string
        ('URI="media.mp4",BYTERANGE="1353@0"', 'URI="media.mp4" BYTERANGE="1353@0"'),
        ("#EXT-X-VERSION:7", "#EXT-X-VERSION:3"),  # byte ranges need version 4
        ("media.mp4\n#EXT-X-ENDLIST", "#EXT-X-ENDLIST"),  # a range with no segment after it
    ],
    ids=[
        "first-without-offset",
        "not-a-number",
        "negative",
        "empty-range",
        "empty-offset",
        "two-offsets",
        "no-value",
        "map-not-n-at-o",
        "map-unquoted",
        "map-attributes-not-comma-separated",
        "version-3",
        "dangling",
    ],
)
def test_a_malformed_byte_range_is_refused(old: str, new: str) -> None:
    # GIVEN a single-file playlist with one malformed range
    text = SINGLE_FILE_PLAYLIST.replace(old, new, 1)
    assert text != SINGLE_FILE_PLAYLIST
    # WHEN it is read THEN it is not a playlist we accept
    with pytest.raises(InvalidRequest) as caught:
        parse_media_playlist(text)
    assert caught.value.code == "invalid_playlist"


def test_an_offset_less_range_after_another_file_s_segment_is_refused() -> None:
    # GIVEN a range without offset whose previous segment is a different file (RFC 8216: undefined)
    text = MEDIA_PLAYLIST.replace(
        "#EXTINF:2.002000,\nseg_00001.m4s", "#EXTINF:2.002000,\n#EXT-X-BYTERANGE:1000\nseg_00001.m4s"
    )
    # WHEN it is read THEN it is refused
    with pytest.raises(InvalidRequest) as caught:
        parse_media_playlist(text)
    assert caught.value.code == "invalid_playlist"
