"""Which content-addressed media files a rendition no longer reads, and may be deleted (pure).

A rendition folder holds `playlist.m3u8` and its media file `media-<sha16>.mp4` (`ffmpeg_ladder`).
Written again, the folder gets a new media file and a playlist naming it; the old file stays for
playlists cached (5 minutes) or loaded by players before the rewrite. A media file is superseded
when, in its folder:

- the current playlist does not name it (neither its EXT-X-MAP nor any segment), and
- it is older than that playlist (a file newer than the playlist belongs to a rewrite still uploading:
  media files go up before their playlist), and
- the playlist was written at least `reclaim_after_s` ago (longer than any cache or player holds the
  previous playlist).

Times are S3's LastModified. A copy onto itself (a storage class change) makes a file or playlist look
newer, which only delays a deletion, never hastens one. A folder without a playlist is left alone.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from reelstack.domain.media.ffmpeg_ladder import CONTENT_HASH_DIGITS, PLAYLIST
from reelstack.domain.media.hls import parse_media_playlist

MEDIA_NAME = re.compile(rf"^media-[0-9a-f]{{{CONTENT_HASH_DIGITS}}}\.mp4$")


@dataclass(frozen=True)
class StoredFile:
    key: str
    last_modified: datetime


def named_by(playlist_text: str) -> set[str]:
    """The resource names a media playlist reads (relative to its folder)."""
    playlist = parse_media_playlist(playlist_text)
    names = {segment.uri for segment in playlist.segments}
    if playlist.init_uri:
        names.add(playlist.init_uri)
    return names


def superseded(
    files: Iterable[StoredFile],
    playlists: dict[str, tuple[str, datetime]],
    now: datetime,
    reclaim_after_s: int,
) -> list[str]:
    """`files`: the objects under a video's prefix; `playlists`: folder -> (current playlist text, its
    LastModified). The media files to delete (see the module docstring), sorted."""
    found = []
    for file in files:
        folder, name = posixpath.split(file.key)
        if not MEDIA_NAME.match(name) or folder not in playlists:
            continue
        text, written = playlists[folder]
        if name in named_by(text) or file.last_modified >= written:
            continue
        if now - written >= timedelta(seconds=reclaim_after_s):
            found.append(file.key)
    return sorted(found)


def playlist_folder(key: str) -> str | None:
    """The folder of a rendition's media playlist key, None for any other key."""
    folder, name = posixpath.split(key)
    return folder if name == PLAYLIST else None
