"""A short-lived, per-process memory of published videos, in front of the videos table.

Likes and play beacons are the hottest routes and each needs the video (published? whose?). A
published video's record changes rarely and slowly, so a lookup that found one is kept for `ttl_s`
(30 s by default); anything else (missing, still processing, held) is looked up every time, so a video
becomes likeable the moment it is published. The price: for up to `ttl_s` after a published video is
taken down, likes and plays may still be accepted for it (they are harmless and remain countable).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock

from reelstack.domain.videos import Video, VideoStatus


class PublishedVideos:
    def __init__(
        self,
        lookup: Callable[[str], Video | None],
        ttl_s: float = 30.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Video]] = OrderedDict()
        self._lock = Lock()

    def get_video(self, video_id: str) -> Video | None:
        now = self._clock()
        with self._lock:
            entry = self._entries.get(video_id)
            if entry is not None and now - entry[0] < self._ttl_s:
                return entry[1]
        video = self._lookup(video_id)
        with self._lock:
            if video is not None and video.status == VideoStatus.PUBLISHED:
                self._entries[video_id] = (now, video)
                self._entries.move_to_end(video_id)
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
            else:
                self._entries.pop(video_id, None)
        return video

    __call__ = get_video
