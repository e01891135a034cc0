"""The transcoder names each rendition's media file after its content (files on disk, no ffmpeg)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from reelstack.adapters.media.transcoder import _content_addressed, sha256_hex
from reelstack.domain.media.hls import parse_media_playlist

PLAYLIST = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:2
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MAP:URI="media.mp4",BYTERANGE="100@0"
#EXTINF:2.000000,
#EXT-X-BYTERANGE:400@100
media.mp4
#EXTINF:1.000000,
#EXT-X-BYTERANGE:500@500
media.mp4
#EXT-X-ENDLIST
"""


def test_the_sha256_is_streamed_from_the_file(tmp_path: Path) -> None:
    # GIVEN a file larger than one read chunk
    data = bytes(range(256)) * 8192  # 2 MiB
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    # WHEN it is hashed THEN it is the SHA-256 of its bytes
    assert sha256_hex(str(path)) == hashlib.sha256(data).hexdigest()


@pytest.fixture
def rendition(tmp_path: Path) -> Path:
    folder = tmp_path / "720p"
    folder.mkdir()
    (folder / "media.mp4").write_bytes(b"\x00" * 100 + b"\x01" * 900)
    (folder / "playlist.m3u8").write_text(PLAYLIST)
    return folder


def test_the_media_file_is_renamed_after_its_content_and_the_playlist_follows(rendition: Path) -> None:
    # GIVEN a rendition as ffmpeg leaves it: playlist.m3u8 reading media.mp4 by byte ranges
    digest = hashlib.sha256((rendition / "media.mp4").read_bytes()).hexdigest()
    # WHEN it is content-addressed
    playlist = _content_addressed(str(rendition), str(rendition / "playlist.m3u8"), PLAYLIST)
    # THEN the media file is media-<first 16 hex of its SHA-256>.mp4, and nothing else is beside it
    name = f"media-{digest[:16]}.mp4"
    assert sorted(p.name for p in rendition.iterdir()) == [name, "playlist.m3u8"]
    assert hashlib.sha256((rendition / name).read_bytes()).hexdigest() == digest
    # AND the playlist on disk (and the one answered) reads it, byte ranges unchanged
    on_disk = (rendition / "playlist.m3u8").read_text()
    assert parse_media_playlist(on_disk) == playlist
    assert playlist.resources == (name,)
    assert on_disk == PLAYLIST.replace("media.mp4", name)


def test_addressing_twice_changes_nothing(rendition: Path) -> None:
    # GIVEN a rendition already content-addressed
    first = _content_addressed(str(rendition), str(rendition / "playlist.m3u8"), PLAYLIST)
    text = (rendition / "playlist.m3u8").read_text()
    # WHEN it is addressed again THEN the names and the playlist are the same
    again = _content_addressed(str(rendition), str(rendition / "playlist.m3u8"), text)
    assert again == first and (rendition / "playlist.m3u8").read_text() == text


def test_other_bytes_get_another_name(rendition: Path, tmp_path: Path) -> None:
    # GIVEN two renditions whose media files differ by one byte (a re-encode)
    other = tmp_path / "again"
    other.mkdir()
    (other / "media.mp4").write_bytes(b"\x00" * 100 + b"\x01" * 899 + b"\x02")
    (other / "playlist.m3u8").write_text(PLAYLIST)
    # WHEN each is content-addressed
    one = _content_addressed(str(rendition), str(rendition / "playlist.m3u8"), PLAYLIST)
    two = _content_addressed(str(other), str(other / "playlist.m3u8"), PLAYLIST)
    # THEN their media files have different names
    assert one.resources != two.resources
