"""Superseded content-addressed media files (`media-<sha16>.mp4`) reclaimed on the local cloud's media
bucket: a rendition written again leaves its old media file for playlists still cached; once the
playlist cache window has passed the reclaim deletes it and never a file the current playlist names."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest

from reelstack.adapters.media_bucket import MediaStorage
from reelstack.clock import utc_now
from reelstack.domain.media.hls import parse_media_playlist
from reelstack.services.media.media_reclaim import MARKERS, RECLAIM_AFTER_S, MediaReclaimer
from reelstack.services.media.transcode import PLAYLIST_CACHE_CONTROL
from tests.support.cloud_stores import media_storage

pytestmark = pytest.mark.integration


def _playlist(media: str, size: int) -> str:
    return (
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        f'#EXT-X-MAP:URI="{media}",BYTERANGE="10@0"\n#EXTINF:2.000000,\n'
        f"#EXT-X-BYTERANGE:{size - 10}@10\n{media}\n#EXT-X-ENDLIST\n"
    )


def _write_rendition(storage: MediaStorage, folder: str, media: str, body: bytes) -> None:
    """As the transcoder uploads a rendition: its media file first, then the playlist naming it."""
    storage.put_bytes(f"{folder}{media}", body, "video/mp4")
    storage.put_bytes(
        f"{folder}playlist.m3u8", _playlist(media, len(body)).encode(), "application/vnd.apple.mpegurl"
    )


def _keys(storage: MediaStorage, prefix: str) -> set[str]:
    return {info.key for info in storage.list_objects(prefix)}


def _playable(storage: MediaStorage, folder: str) -> bool:
    """Every resource the current playlist reads is there, with the bytes its ranges ask for."""
    playlist = parse_media_playlist(storage.read(f"{folder}playlist.m3u8").decode())
    for segment in playlist.segments:
        info = storage.head(f"{folder}{segment.uri}")
        if info is None or (
            segment.byte_range and segment.byte_range.offset + segment.byte_range.length > info.size
        ):
            return False
    return True


def test_a_superseded_media_file_is_reclaimed_after_the_playlist_cache_window(
    local_cloud: Any, cloud_sdk_environment: Any
) -> None:
    # GIVEN a video's 720p rendition written, then written again (a second high-heat run): a new media file
    # and a playlist naming it, the old file left for players holding the old playlist
    storage = media_storage(local_cloud)
    prefix = f"renditions/{uuid.uuid4().hex}/"
    folder = f"{prefix}720p/"
    old, new = "media-00000000000000aa.mp4", "media-00000000000000bb.mp4"
    _write_rendition(storage, folder, old, b"o" * 400)
    _write_rendition(storage, f"{prefix}480p/", "media-00000000000000cc.mp4", b"c" * 300)
    time.sleep(1.1)  # S3 times are whole seconds: the rewrite is strictly later
    _write_rendition(storage, folder, new, b"n" * 500)
    rewritten = utc_now()

    def reclaimer(now: datetime) -> MediaReclaimer:
        return MediaReclaimer(storage, clock=lambda: now)

    # WHEN the reclaim runs within the cache window THEN nothing goes
    assert int(PLAYLIST_CACHE_CONTROL.rsplit("=", 1)[1]) < RECLAIM_AFTER_S
    assert reclaimer(rewritten + timedelta(seconds=RECLAIM_AFTER_S - 60)).reclaim(prefix) == []
    assert f"{folder}{old}" in _keys(storage, prefix)

    # WHEN it runs after the window THEN the old file goes, the current ones stay and playback still works
    assert reclaimer(rewritten + timedelta(seconds=RECLAIM_AFTER_S + 60)).reclaim(prefix) == [
        f"{folder}{old}"
    ]
    assert _keys(storage, prefix) == {
        f"{folder}{new}",
        f"{folder}playlist.m3u8",
        f"{prefix}480p/media-00000000000000cc.mp4",
        f"{prefix}480p/playlist.m3u8",
    }
    assert _playable(storage, folder) and _playable(storage, f"{prefix}480p/")


def test_a_media_file_uploaded_before_its_playlist_is_never_reclaimed(
    local_cloud: Any, cloud_sdk_environment: Any
) -> None:
    # GIVEN a rendition being written again: its new media file is up, its playlist not yet
    storage = media_storage(local_cloud)
    prefix = f"renditions/{uuid.uuid4().hex}/"
    folder = f"{prefix}1080p/"
    _write_rendition(storage, folder, "media-00000000000000aa.mp4", b"o" * 400)
    time.sleep(1.1)
    storage.put_bytes(f"{folder}media-00000000000000bb.mp4", b"n" * 500, "video/mp4")
    # WHEN the reclaim runs long after THEN neither file goes (the playlist still names the old one, and the
    # new one is newer than the playlist)
    later = utc_now() + timedelta(days=2)
    assert MediaReclaimer(storage, clock=lambda: later).reclaim(prefix) == []
    assert len(_keys(storage, folder)) == 3


def test_a_rewrite_schedules_the_reclaim_and_the_sweep_runs_it_once_due(
    local_cloud: Any, cloud_sdk_environment: Any
) -> None:
    # GIVEN a rendition written twice, the rewrite scheduling its video's reclaim (as the heat workflow's
    # UpdateMaster does)
    storage = media_storage(local_cloud)
    prefix = f"renditions/{uuid.uuid4().hex}/"
    folder = f"{prefix}720p_hevc/"
    _write_rendition(storage, folder, "media-00000000000000aa.mp4", b"o" * 400)
    time.sleep(1.1)
    _write_rendition(storage, folder, "media-00000000000000bb.mp4", b"n" * 500)
    rewritten = utc_now()
    marker = MediaReclaimer(storage, clock=lambda: rewritten).schedule(prefix)
    assert marker.startswith(MARKERS) and marker.endswith(prefix.rstrip("/"))

    def sweep(at: datetime) -> list[str]:
        return MediaReclaimer(storage, clock=lambda: at).sweep()

    # WHEN the sweep runs before the marker is due THEN nothing goes, the marker stays
    assert sweep(rewritten + timedelta(seconds=RECLAIM_AFTER_S - 60)) == []
    assert storage.head(marker) is not None
    # WHEN it runs once due THEN the superseded file goes and so does the marker; the current file stays
    assert f"{folder}media-00000000000000aa.mp4" in sweep(rewritten + timedelta(seconds=RECLAIM_AFTER_S + 60))
    assert storage.head(marker) is None
    assert _keys(storage, folder) == {f"{folder}media-00000000000000bb.mp4", f"{folder}playlist.m3u8"}
    assert _playable(storage, folder)
