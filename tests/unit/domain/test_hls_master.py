"""The master playlist and the sprite's WebVTT index of a plan, and the media playlist reader."""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

import pytest

from reelstack.domain.hls import MeasuredBandwidth, master_playlist, parse_media_playlist, sprite_index
from reelstack.domain.renditions import LambdaBudget, Plan, RenditionSpec, SpriteSpec, plan_renditions
from reelstack.errors import InvalidRequest


@dataclass(frozen=True)
class Source:
    display_width: int = 1920
    display_height: int = 1080
    frame_rate: float = 29.97
    has_audio: bool = True
    duration_s: float = 15.0
    size_bytes: int = 20_000_000


def plan(spec: RenditionSpec | None = None, **source: object) -> Plan:
    return plan_renditions("vid1", Source(**source), spec or RenditionSpec(), LambdaBudget())  # type: ignore[arg-type]


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


def test_a_media_playlist_reads_back_its_segments() -> None:
    playlist = parse_media_playlist(MEDIA_PLAYLIST)
    assert (playlist.version, playlist.target_duration_s, playlist.playlist_type) == (7, 2, "VOD")
    assert playlist.init_uri == "init.mp4" and playlist.ended
    assert [s.uri for s in playlist.segments] == ["seg_00000.m4s", "seg_00001.m4s", "seg_00002.m4s"]
    assert [s.duration_s for s in playlist.segments] == [2.002, 2.002, 0.967633]
    assert playlist.duration_s == pytest.approx(4.971633)


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
