"""Reclaiming superseded media files of a video (`domain.media.superseded`) from the media bucket.

`MediaReclaimer.reclaim(prefix)` lists a video's rendition prefix (one LIST per 1000 objects), reads
each rendition's current playlist (one GET each, a few hundred bytes; its time taken from that GET, so a
playlist rewritten after the LIST restarts the window), and deletes the media files no
playlist names any more once `RECLAIM_AFTER_S` has passed since that playlist was written: an hour,
twelve times the playlists' 5-minute max-age (`transcode.PLAYLIST_CACHE_CONTROL`), so neither a CDN
nor a player holding the previous playlist can ask for a deleted file. A file the current playlist
names is never deleted. Running it again is harmless (nothing left to delete).

When: whoever rewrites a rendition calls `schedule(prefix)` (the heat workflow's UpdateMaster, once the
twins of a run are up): an empty marker `reclaim/<due epoch seconds, 10 digits>/<prefix>` (one PUT),
due `RECLAIM_AFTER_S` later. `sweep()`, on a schedule (MediaReclaimFunction, hourly), lists the markers
(sorted by due time: it stops at the first not yet due), reclaims each due prefix and deletes its
marker, so a video is listed only after a rewrite, never nightly. A marker whose reclaim fails stays
and is tried again by the next sweep. Why not an S3 lifecycle rule on a `superseded` tag: lifecycle
expiration counts days since the object was *created*, so an old file tagged now could be expired by
the next lifecycle run, minutes later, inside the cache window; and the local cloud runs no lifecycle.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from reelstack.adapters.media_bucket import MediaStorage
from reelstack.clock import utc_now
from reelstack.domain.media.superseded import StoredFile, playlist_folder, superseded
from reelstack.observability import logger

RECLAIM_AFTER_S = 3600
MARKERS = "reclaim/"
RENDITIONS = "renditions/"  # where videos' renditions live: `renditions/{video_id}/`
_DUE_DIGITS = 10


class MediaReclaimer:
    def __init__(
        self,
        storage: MediaStorage,
        *,
        reclaim_after_s: int = RECLAIM_AFTER_S,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.storage = storage
        self.reclaim_after_s = reclaim_after_s
        self.clock = clock

    def reclaim(self, prefix: str) -> list[str]:
        """Delete the superseded media files under `prefix` (a video's renditions); their keys."""
        objects = self.storage.list_objects(prefix)
        files = [StoredFile(o.key, o.last_modified) for o in objects if o.last_modified is not None]
        playlists = {}
        for info in objects:
            folder = playlist_folder(info.key)
            if folder is None:
                continue
            # The text and its time from the same GET: a playlist rewritten since the LIST is judged by
            # its new time (the window starts again), never by the old one.
            text, written = self.storage.read_dated(info.key)
            if written is not None:
                playlists[folder] = (text.decode("utf-8"), written)
        doomed = superseded(files, playlists, self.clock(), self.reclaim_after_s)
        for key in doomed:
            self.storage.delete(key)
        if doomed:
            logger.info("superseded media files reclaimed", extra={"prefix": prefix, "keys": doomed})
        return doomed

    def schedule(self, prefix: str) -> str:
        """Mark `prefix` (a video's renditions, ending in "/") for a reclaim once the window has passed;
        the marker's key."""
        due = self.clock() + timedelta(seconds=self.reclaim_after_s)
        key = marker_key(prefix, int(due.timestamp()))
        self.storage.put_bytes(key, b"", "application/octet-stream")
        return key

    def sweep(self, limit: int = 500) -> list[str]:
        """Reclaim the prefixes whose markers are due (at most `limit`); the media keys deleted."""
        now = int(self.clock().timestamp())
        deleted: list[str] = []
        swept = 0
        for info in self.storage.list_objects(MARKERS):
            parsed = parse_marker(info.key)
            if parsed is None:
                continue
            due, prefix = parsed
            if due > now or swept >= limit:
                break  # markers sort by due time: the rest are not due either
            deleted += self.reclaim(prefix)
            self.storage.delete(info.key)
            swept += 1
        return deleted


def marker_key(prefix: str, due_epoch_s: int) -> str:
    return f"{MARKERS}{due_epoch_s:0{_DUE_DIGITS}d}/{prefix.rstrip('/')}"


def parse_marker(key: str) -> tuple[int, str] | None:
    """(due epoch seconds, the prefix to reclaim) of a marker key, None for anything else."""
    due, _, prefix = key.removeprefix(MARKERS).partition("/")
    if not key.startswith(MARKERS) or len(due) != _DUE_DIGITS or not due.isdigit():
        return None
    if not prefix.startswith(RENDITIONS) or prefix == RENDITIONS.rstrip("/"):
        return None  # only a video's renditions are ever reclaimed
    return int(due), f"{prefix}/"
